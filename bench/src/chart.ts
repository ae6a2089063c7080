// A small SVG line chart: added p99 latency against concurrency, one line per system.
export function lineChart(series: Record<string, [number, number][]>, title: string): string {
  const W = 640;
  const H = 360;
  const pad = { l: 60, r: 130, t: 40, b: 50 };
  const xs = [...new Set(Object.values(series).flatMap((s) => s.map((p) => p[0])))].sort((a, b) => a - b);
  const ymax = Math.max(1, ...Object.values(series).flatMap((s) => s.map((p) => p[1]))) * 1.1;
  const x = (v: number): number => pad.l + (xs.indexOf(v) / Math.max(1, xs.length - 1)) * (W - pad.l - pad.r);
  const y = (v: number): number => H - pad.b - (Math.max(0, v) / ymax) * (H - pad.t - pad.b);
  const colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${title}</text>`,
    `<line x1="${pad.l}" y1="${H - pad.b}" x2="${W - pad.r}" y2="${H - pad.b}" stroke="black"/>`,
    `<line x1="${pad.l}" y1="${pad.t}" x2="${pad.l}" y2="${H - pad.b}" stroke="black"/>`,
    `<text x="${(W - pad.r + pad.l) / 2}" y="${H - 12}" text-anchor="middle">concurrency</text>`,
    `<text x="16" y="${H / 2}" transform="rotate(-90 16 ${H / 2})" text-anchor="middle">added p99 (ms)</text>`,
  ];
  for (const v of xs) parts.push(`<text x="${x(v)}" y="${H - pad.b + 18}" text-anchor="middle">${v}</text>`);
  for (let i = 0; i <= 4; i++) {
    const v = (ymax * i) / 4;
    parts.push(`<text x="${pad.l - 6}" y="${y(v) + 4}" text-anchor="end">${v.toFixed(1)}</text>`);
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
