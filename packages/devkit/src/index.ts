export * from "./launcher.js";
export * from "./local-config.js";
export * from "./ports.js";
