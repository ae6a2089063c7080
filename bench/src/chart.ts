// A small SVG line chart: added p99 latency against concurrency, one line per system. The
// y axis is logarithmic (0.1 ms up), so a 1 ms system and a 500 ms one both stay readable.
const FLOOR_MS = 0.1;

export function lineChart(series: Record<string, [number, number][]>, title: string): string {
  const W = 720;
  const H = 380;
  const pad = { l: 60, r: 190, t: 40, b: 50 };
  const xs = [...new Set(Object.values(series).flatMap((s) => s.map((p) => p[0])))].sort((a, b) => a - b);
  const ymax = Math.max(1, ...Object.values(series).flatMap((s) => s.map((p) => p[1])));
  const decades = Math.ceil(Math.log10(ymax / FLOOR_MS));
  const x = (v: number): number => pad.l + (xs.indexOf(v) / Math.max(1, xs.length - 1)) * (W - pad.l - pad.r);
  const y = (v: number): number =>
    H - pad.b - (Math.log10(Math.max(FLOOR_MS, v) / FLOOR_MS) / decades) * (H - pad.t - pad.b);
  const colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"];
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${title}</text>`,
    `<line x1="${pad.l}" y1="${H - pad.b}" x2="${W - pad.r}" y2="${H - pad.b}" stroke="black"/>`,
    `<line x1="${pad.l}" y1="${pad.t}" x2="${pad.l}" y2="${H - pad.b}" stroke="black"/>`,
    `<text x="${(W - pad.r + pad.l) / 2}" y="${H - 12}" text-anchor="middle">concurrency</text>`,
    `<text x="16" y="${H / 2}" transform="rotate(-90 16 ${H / 2})" text-anchor="middle">added p99 (ms, log scale)</text>`,
  ];
  for (const v of xs) parts.push(`<text x="${x(v)}" y="${H - pad.b + 18}" text-anchor="middle">${v}</text>`);
  for (let i = 0; i <= decades; i++) {
    const v = FLOOR_MS * 10 ** i;
    parts.push(`<text x="${pad.l - 6}" y="${y(v) + 4}" text-anchor="end">${v < 1 ? v.toFixed(1) : v}</text>`);
    parts.push(`<line x1="${pad.l}" y1="${y(v)}" x2="${W - pad.r}" y2="${y(v)}" stroke="#ddd"/>`);
  }
  Object.entries(series).forEach(([name, points], i) => {
    const color = colors[i % colors.length] ?? "black";
    const d = points
      .map((p, j) => `${j === 0 ? "M" : "L"}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`)
      .join(" ");
    parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const p of points)
      parts.push(`<circle cx="${x(p[0]).toFixed(1)}" cy="${y(p[1]).toFixed(1)}" r="3" fill="${color}"/>`);
    parts.push(`<text x="${W - pad.r + 10}" y="${pad.t + 16 * i + 10}" fill="${color}">${name}</text>`);
  });
  parts.push("</svg>");
  return parts.join("\n");
}
