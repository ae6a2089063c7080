// What a benchmark started, to stop newest first: filled as things start, so a failed start, an
// error half-way or Ctrl-C stops them too. Safe to run twice.
export type UndoStep = () => Promise<void> | void;

export interface Undo {
  push(step: UndoStep): void;
  /** Forgets a step that already ran on its own. */
  remove(step: UndoStep): void;
  run(): Promise<void>;
}

export function createUndo(label: string): Undo {
  const steps: UndoStep[] = [];
  return {
    push: (step) => void steps.push(step),
    remove(step) {
      const i = steps.indexOf(step);
      if (i >= 0) steps.splice(i, 1);
    },
    async run() {
      for (let step = steps.pop(); step !== undefined; step = steps.pop()) {
        try {
          await step();
        } catch (err) {
          console.error(`[${label}] while stopping: ${(err as Error).message}`);
        }
      }
    },
  };
}
