// The simulation's SVG: one panel per policy over the run's seconds — each deployment's share of
// the traffic sent in that second (stacked), the median latency (line, right axis), and the
// slow and failing periods of the degraded deployment (strip above the panel, dashed lines).
import type { PolicyResult } from "./analysis.js";
import type { Timeline } from "./scenario.js";

const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b"];
const W = 800;
const PANEL_H = 190;
const PAD = { l: 56, r: 64, t: 46, b: 26 };

/** A round number at or above `v` (1, 2 or 5 × a power of ten). */
function niceCeil(v: number): number {
  const p = 10 ** Math.floor(Math.log10(Math.max(v, 1)));
  return [1, 2, 5, 10].map((m) => m * p).find((x) => x >= v) ?? 10 * p;
}

export function simChart(
  results: readonly PolicyResult[],
  deployments: readonly string[],
  tl: Timeline,
): string {
  const legendH = 52;
  const H = legendH + results.length * PANEL_H + 10;
  const plotW = W - PAD.l - PAD.r;
  const plotH = PANEL_H - PAD.t - PAD.b;
  const x = (s: number): number => PAD.l + (s / tl.seconds) * plotW;
  const maxP50 = niceCeil(Math.max(1, ...results.flatMap((r) => r.bins.map((b) => b.p50 ?? 0))));
  const color = (i: number): string => COLORS[i % COLORS.length] ?? "black";
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${PAD.l}" y="16" font-size="12">Requests sent each second: share per deployment (stacked, left axis) and p50 latency (line, right axis)</text>`,
  ];
  let lx = PAD.l;
  const legend = (swatch: string, label: string): void => {
    out.push(swatch.replace(/\{x\}/g, String(lx)), `<text x="${lx + 18}" y="39">${label}</text>`);
    lx += 30 + label.length * 6.2;
  };
  deployments.forEach((d, i) =>
    legend(`<rect x="{x}" y="30" width="12" height="12" fill="${color(i)}"/>`, d),
  );
  legend(`<line x1="{x}" y1="36" x2="${lx + 12}" y2="36" stroke="black" stroke-width="2"/>`, "p50 latency");
  legend(`<rect x="{x}" y="30" width="12" height="12" fill="#f0c419"/>`, "degraded deployment slow");
  legend(`<rect x="{x}" y="30" width="12" height="12" fill="#d62728"/>`, "degraded deployment failing");

  results.forEach((r, panel) => {
    const top = legendH + panel * PANEL_H;
    const y0 = top + PAD.t + plotH; // the plot's baseline
    const yShare = (v: number): number => y0 - v * plotH;
    const yMs = (v: number): number => y0 - (Math.min(v, maxP50) / maxP50) * plotH;
    out.push(
      `<text x="${PAD.l}" y="${top + 16}" font-size="13" font-weight="bold">${r.policy}</text>`,
      `<text x="${PAD.l + 16 + r.policy.length * 8.5}" y="${top + 16}">degraded: ${r.degraded ?? "—"} · cost $${r.costPer1k.toFixed(4)} / 1k · p99 ${r.p99.toFixed(0)} ms · errors ${(r.errorRate * 100).toFixed(1)}%</text>`,
      // The degraded periods, as a strip above the plot.
      `<rect x="${x(tl.slowAt)}" y="${top + 24}" width="${x(tl.failAt) - x(tl.slowAt)}" height="8" fill="#f0c419"/>`,
      `<rect x="${x(tl.failAt)}" y="${top + 24}" width="${x(tl.recoverAt) - x(tl.failAt)}" height="8" fill="#d62728"/>`,
    );
    // Stacked shares, one column per second.
    for (const bin of r.bins) {
      if (bin.requests === 0) continue;
      let acc = 0;
      deployments.forEach((d, i) => {
        const share = (bin.byDeployment[d] ?? 0) / bin.requests;
        if (share <= 0) return;
        out.push(
          `<rect x="${x(bin.second).toFixed(1)}" y="${yShare(acc + share).toFixed(1)}" width="${(x(bin.second + 1) - x(bin.second)).toFixed(1)}" height="${(share * plotH).toFixed(1)}" fill="${color(i)}" fill-opacity="0.75" shape-rendering="crispEdges"/>`,
        );
        acc += share;
      });
    }
    // Axes, grid and phase lines.
    out.push(
      `<line x1="${PAD.l}" y1="${y0}" x2="${W - PAD.r}" y2="${y0}" stroke="black"/>`,
      `<line x1="${PAD.l}" y1="${y0 - plotH}" x2="${PAD.l}" y2="${y0}" stroke="black"/>`,
      `<line x1="${W - PAD.r}" y1="${y0 - plotH}" x2="${W - PAD.r}" y2="${y0}" stroke="black"/>`,
    );
    for (const v of [0, 0.5, 1]) {
      out.push(
        `<text x="${PAD.l - 4}" y="${yShare(v) + 4}" text-anchor="end">${v * 100}%</text>`,
        `<text x="${W - PAD.r + 4}" y="${yShare(v) + 4}">${(v * maxP50).toFixed(0)} ms</text>`,
      );
    }
    for (const s of [tl.slowAt, tl.failAt, tl.recoverAt])
      out.push(
        `<line x1="${x(s)}" y1="${top + 24}" x2="${x(s)}" y2="${y0}" stroke="black" stroke-dasharray="3,3"/>`,
      );
    for (let s = 0; s <= tl.seconds; s += 10)
      out.push(`<text x="${x(s)}" y="${y0 + 16}" text-anchor="middle">${s} s</text>`);
    // Median latency per second.
    const points = r.bins
      .filter((b) => b.p50 !== undefined)
      .map((b, j) => `${j === 0 ? "M" : "L"}${x(b.second + 0.5).toFixed(1)},${yMs(b.p50 ?? 0).toFixed(1)}`);
    if (points.length > 0)
      out.push(`<path d="${points.join(" ")}" fill="none" stroke="black" stroke-width="1.5"/>`);
  });
  out.push("</svg>");
  return out.join("\n");
}
