// The words prompt-injection families are made of, in fifteen languages: English, Spanish,
// French, German, Italian, Portuguese, Dutch, Russian, Polish, Turkish, Chinese, Japanese,
// Korean, Arabic and Hindi. Written as the normaliser leaves text: lower case, accents folded
// ("instrucoes", "regles"), so one form covers the accented and the plain spelling.

/** Verbs that dismiss what came before. */
// prettier-ignore
export const DISMISS = [
  // en
  "ignore", "disregard", "forget", "override", "bypass", "skip", "abandon", "discard", "neglect", "drop",
  // es
  "ignora", "ignorar", "ignoren", "olvida", "olvide", "olvidar", "omite", "descarta",
  // fr
  "ignorez", "ignorer", "oublie", "oubliez", "oublier", "contourne",
  // de
  "ignoriere", "ignorieren", "ignoriert", "vergiss", "vergessen", "missachte", "uberspringe",
  // it
  "ignorare", "ignorate", "dimentica", "dimenticate", "trascura",
  // pt
  "esqueca", "esquecer", "desconsidere", "despreze",
  // nl
  "negeer", "negeren", "vergeet",
  // ru
  "игнорируй", "игнорировать", "проигнорируй", "забудь", "забудьте",
  // pl
  "zignoruj", "ignoruj", "zapomnij", "pomin",
  // tr (a trailing * marks a stem: Turkish glues suffixes on)
  "yoksay*", "gormezden gel*", "unut*", "goz ardi et*",
  // zh, ja, ko, ar, hi
  "忽略", "无视", "忘记", "忘掉", "無視", "忘れ", "무시", "잊어", "تجاهل", "انس", "अनदेखा", "भूल जाओ",
];

/** Words for the rules an assistant was given. */
// prettier-ignore
export const RULES = [
  "instructions", "instruction", "rules", "prompt", "prompts", "directions", "guidelines", "directives",
  "orders", "commands", "constraints", "guardrails", "restrictions", "programming", "system message",
  "instrucciones", "reglas", "indicaciones", "directrices", "ordenes",
  "consignes", "regles", "ordres",
  "anweisungen", "regeln", "instruktionen", "vorgaben", "befehle", "richtlinien",
  "istruzioni", "regole", "direttive",
  "instrucoes", "regras", "diretrizes", "ordens",
  "instructies", "regels", "richtlijnen",
  "инструкции", "инструкций", "правила", "указания", "указаний",
  "instrukcje", "polecenia", "zasady", "reguly",
  "talimat*", "kural*", "yonerge*",
  "指令", "指示", "说明", "规则", "提示", "命令", "ルール", "지시", "지침", "규칙", "명령",
  "التعليمات", "تعليمات", "القواعد", "निर्देश", "निर्देशों", "नियम",
];

/** First-person possessives: "ignore my previous instructions" is a user changing their mind. */
// prettier-ignore
export const OWN = [
  "my", "mine", "mis", "mes", "mon", "meine", "meinen", "mie", "miei", "minhas", "meus", "mijn", "мои",
  "моих", "moje", "benim", "我的", "私の", "내", "제",
];

/** A new persona without limits. */
// prettier-ignore
export const JAILBREAK = [
  "do anything now", "developer mode", "dev mode enabled", "jailbreak", "jailbroken", "dan mode", "you are dan",
  "no restrictions", "without restrictions", "without any restrictions", "no limitations", "without limitations",
  "no filters", "unfiltered", "uncensored", "no ethical", "no moral", "free from all", "evil confidant", "god mode",
  "stay in character", "not bound by", "no longer bound", "opposite mode", "anti-gpt", "betterdan",
  "sin restricciones", "sin filtros", "modo desarrollador", "sin censura",
  "sans restrictions", "sans filtre", "sans aucune restriction", "mode developpeur", "sans censure",
  "ohne einschrankungen", "ohne filter", "entwicklermodus", "ohne zensur",
  "senza restrizioni", "senza filtri", "modalita sviluppatore", "senza censura",
  "sem restricoes", "sem filtros", "modo desenvolvedor", "sem censura",
  "zonder beperkingen", "ontwikkelaarsmodus", "zonder filters",
  "без ограничений", "режим разработчика", "без фильтров", "без цензуры",
  "bez ograniczen", "tryb dewelopera", "bez cenzury",
  "kisitlama olmadan", "kisitlamasiz", "kisitlamasi olmayan", "gelistirici modu", "sansursuz",
  "没有任何限制", "不受限制", "开发者模式", "越狱", "制限なし", "制限のない", "開発者モード", "脱獄",
  "제한 없이", "제한 없는", "개발자 모드", "탈옥", "بدون قيود", "وضع المطور", "बिना किसी प्रतिबंध", "डेवलपर मोड",
];

/** Verbs asking to show something. */
// prettier-ignore
export const REVEAL = [
  "reveal", "show", "print", "repeat", "output", "display", "tell me", "give me", "leak", "dump", "write out",
  "recite", "spell out", "what is", "what are", "what were",
  "muestra", "revela", "repite", "imprime", "dime",
  "montre", "revele", "repete", "affiche", "donne-moi", "dis-moi",
  "zeige", "zeig", "verrate", "wiederhole", "gib mir", "nenne",
  "mostra", "rivela", "ripeti", "stampa", "dimmi",
  "mostre", "revele", "repita", "imprima", "diga",
  "toon", "laat zien", "herhaal", "geef",
  "покажи", "выведи", "повтори", "раскрой", "скажи",
  "pokaz", "ujawnij", "powtorz", "wypisz",
  "goster*", "tekrarla*", "yazdir*", "soyle*",
  "显示", "告诉我", "输出", "重复", "泄露", "表示", "教えて", "出力", "繰り返", "보여", "알려", "출력", "반복",
  "اعرض", "اكشف", "كرر", "दिखाओ", "बताओ",
];

/** What an assistant was told, as someone fishing for it names it. */
// prettier-ignore
export const HIDDEN_PROMPT = [
  "your system prompt", "your system message", "the system prompt", "the initial prompt", "the hidden prompt", "your instructions", "your prompt", "your rules", "your guidelines",
  "your initial", "your hidden", "your original", "your configuration", "your programming",
  "initial prompt", "initial instructions", "hidden instructions", "hidden prompt", "original instructions",
  "secret instructions", "developer message", "pre-prompt", "preprompt", "system prompt verbatim",
  "text above", "words above", "everything above", "instructions above", "messages above",
  "prompt del sistema", "instrucciones del sistema", "tus instrucciones",
  "prompt systeme", "instructions systeme", "tes instructions", "vos instructions",
  "systemprompt", "system-prompt", "systemanweisungen", "deine anweisungen", "ihre anweisungen",
  "prompt di sistema", "istruzioni di sistema", "le tue istruzioni",
  "prompt do sistema", "instrucoes do sistema", "suas instrucoes",
  "systeemprompt", "je instructies",
  "системный промпт", "системные инструкции", "свои инструкции", "твои инструкции",
  "prompt systemowy", "swoje instrukcje", "twoje instrukcje",
  "sistem istem*", "sistem talimat*",
  "系统提示", "系统指令", "你的指令", "初始指令", "システムプロンプト", "システム指示", "あなたの指示",
  "시스템 프롬프트", "시스템 지시", "너의 지시", "당신의 지시", "موجه النظام", "تعليمات النظام",
  "सिस्टम प्रॉम्प्ट", "सिस्टम निर्देश",
];

/** Chat-template delimiters a user has no reason to type. */
// prettier-ignore
export const ROLE_TOKENS = [
  "<|im_start|>", "<|im_end|>", "<|system|>", "<|assistant|>", "<|user|>", "<|endoftext|>", "<|start_header_id|>",
  "<|eot_id|>", "[inst]", "[/inst]", "<<sys>>", "<</sys>>", "<system_prompt>", "### system", "### instruction",
  "<|begin_of_text|>",
];

/** "…then do what it says", after a request to decode. */
// prettier-ignore
export const DECODE = ["decode", "base64", "rot13", "rot-13", "hex", "reverse", "backwards", "unscramble", "decipher"];
// prettier-ignore
export const OBEY = [
  "follow", "execute", "obey", "do what", "run it", "carry out", "act on", "perform", "comply",
  "sigue", "ejecuta", "obedece", "suis", "execute", "befolge", "fuhre", "segui", "esegui", "siga", "выполни",
  "执行", "照做", "従", "실행",
];

/** Sending the conversation somewhere. */
// prettier-ignore
export const SEND = [
  "send", "email", "mail", "post", "forward", "upload", "transmit", "exfiltrate", "submit", "append",
  "envia", "manda", "envoie", "envoyez", "sende", "schicke", "invia", "envie", "stuur", "отправь", "перешли",
  "wyslij", "gonder", "发送", "送信", "送って", "보내", "أرسل", "भेजो",
];
// prettier-ignore
export const CONVERSATION = [
  "conversation", "chat history", "chat log", "history", "messages", "transcript", "context", "memory",
  "api key", "password", "credentials", "secrets", "personal data", "user data",
  "conversacion", "historial", "historique", "unterhaltung", "verlauf", "konversation", "conversazione",
  "cronologia", "conversa", "gesprek", "переписку", "разговор", "историю", "rozmowe", "konusmayi",
  "对话", "聊天记录", "会話", "履歴", "대화", "المحادثة", "बातचीत",
];

/** Making a tool act without the user. */
// prettier-ignore
export const INVOKE = ["call", "invoke", "run", "execute", "use", "trigger"];
// prettier-ignore
export const TOOL = ["tool", "function", "plugin", "api", "command", "action"];
// prettier-ignore
export const UNSEEN = [
  "without asking", "without confirmation", "without confirming", "without telling", "without informing",
  "without permission", "without approval", "without the user", "do not ask", "don't ask", "dont ask",
  "do not tell", "don't tell", "dont tell", "do not confirm", "silently", "secretly",
];
// prettier-ignore
export const DESTROY = [
  "delete all", "delete every", "remove all", "wipe all", "drop all", "transfer all", "transfer the funds",
  "wire the money", "rm -rf", "drop table", "drop database",
];

/** Text in a document or tool result that speaks to the model rather than the reader. */
// prettier-ignore
export const TO_THE_MODEL = [
  "note to the ai", "note to the assistant", "note to the model", "message to the ai", "instructions for the ai",
  "instruction to the ai", "if you are an ai", "if you are a language model", "if you are an llm",
  "if you are an assistant", "ai assistant:", "attention ai", "attention assistant", "dear ai", "hey ai",
  "to any ai reading", "ai agents reading", "llm reading this", "assistant, please",
  "si eres una ia", "si vous etes une ia", "wenn du eine ki bist", "se sei un'ia", "se voce e uma ia",
  "если ты ии", "如果你是ai", "如果你是人工智能", "あなたがaiなら", "당신이 ai라면",
];

/** "New instructions:", "from now on you…". */
// prettier-ignore
export const TAKEOVER = [
  "new instructions", "updated instructions", "new policy", "new rules", "from now on you", "from now on, you", "you are now", "you will now",
  "your new task", "your new role", "instead, you", "nuevas instrucciones", "a partir de ahora", "nouvelles instructions",
  "a partir de maintenant", "desormais tu", "neue anweisungen", "ab jetzt bist du", "von nun an", "nuove istruzioni",
  "d'ora in poi", "novas instrucoes", "a partir de agora", "nieuwe instructies", "vanaf nu", "новые инструкции",
  "теперь ты", "отныне", "nowe instrukcje", "od teraz", "yeni talimatlar", "artik sen", "新的指令", "从现在开始",
  "新しい指示", "今から", "새로운 지시", "지금부터", "تعليمات جديدة", "नए निर्देश",
];

/** XML-ish role tags: spoofing in a prompt, but also ordinary markup talk. */
// prettier-ignore
export const ROLE_TAGS = ["<system>", "</system>", "<assistant>", "</assistant>", "<developer>"];

/** Words that turn "forget the rules" into "don't forget the rules". */
// prettier-ignore
export const NEGATION = [
  "don't", "dont", "do not", "never", "not", "nicht", "pas", "non", "nao", "niet", "не", "nie", "asla",
  "不要", "別", "하지 마",
];
