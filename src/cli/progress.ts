/** A one-line progress bar on stderr, drawn only on a terminal, at most ten times a second. */
export interface Progress {
  update(done: number): void;
  finish(): void;
}

const MB = 1024 * 1024;

export function createProgress(label: string, total: number | undefined, enabled: boolean, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!enabled) return { update() {}, finish() {} };
  const started = Date.now();
  let lastDraw = 0;
  let current = 0;
  const draw = (final: boolean) => {
    const seconds = Math.max((Date.now() - started) / 1000, 0.001);
    const rate = current / MB / seconds;
    let line: string;
    if (total && total > 0) {
      const frac = Math.min(current / total, 1);
      const width = 24;
      const filled = Math.round(frac * width);
      line = `${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}% ${(current / MB).toFixed(1)}/${(total / MB).toFixed(1)} MB ${rate.toFixed(1)} MB/s`;
    } else {
      line = `${label} ${(current / MB).toFixed(1)} MB ${rate.toFixed(1)} MB/s`;
    }
    stream.write(`\r${line}\u001b[K${final ? '\n' : ''}`);
  };
  return {
    update(done) {
      current = done;
      const now = Date.now();
      if (now - lastDraw >= 100) {
        lastDraw = now;
        draw(false);
      }
    },
    finish() {
      draw(true);
    },
  };
}
