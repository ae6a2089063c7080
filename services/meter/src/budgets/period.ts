// Which budget period an instant falls in: a calendar day, week (from Monday) or month in the
// budget's time zone, or all time. Luxon does the zone arithmetic (daylight saving included),
// so a monthly budget resets at local midnight on the 1st, not every 30 days.
import { DateTime } from "luxon";
import type { BudgetConfig } from "@switchyard/common";

export interface Period {
  /** Names the period's ledger: "d2026-12-02", "w2026-11-30", "m2026-12" or "total". */
  id: string;
  /** Unix ms; 0 for "total". */
  startsAt: number;
  /** Unix ms the next period starts; 0 for "total" (never). */
  endsAt: number;
}

const UNIT = { day: "day", week: "week", month: "month" } as const;

export function periodOf(budget: Pick<BudgetConfig, "period" | "timezone">, now: number): Period {
  if (budget.period === "total") return { id: "total", startsAt: 0, endsAt: 0 };
  const unit = UNIT[budget.period];
  const start = DateTime.fromMillis(now, { zone: budget.timezone }).startOf(unit);
  const end = start.plus({ [unit]: 1 });
  const id = budget.period === "month" ? `m${start.toFormat("yyyy-MM")}` : `${unit[0]}${start.toISODate()}`;
  return { id, startsAt: start.toMillis(), endsAt: end.toMillis() };
}
