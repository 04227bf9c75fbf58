/** The benchmark chart, drawn by hand as SVG: throughput ratio (ours / baseline) and p99 latency per endpoint. */
export interface ChartRow {
  label: string;
  ratio: number | null;
  oursP99: number | null;
  baselineP99: number | null;
  /** The ratio target for this endpoint, if it has one (drawn as a tick). */
  target?: number;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function drawChart(rows: ChartRow[], title: string, subtitle: string): string {
  const rowH = 34;
  const left = 260;
  const panelW = 330;
  const gap = 70;
  const top = 74;
  const width = left + panelW * 2 + gap + 30;
  const height = top + rows.length * rowH + 56;
  const maxRatio = Math.max(1.2, ...rows.map((r) => r.ratio ?? 0)) * 1.05;
  const maxP99 = Math.max(1, ...rows.flatMap((r) => [r.oursP99 ?? 0, r.baselineP99 ?? 0])) * 1.1;
  const x1 = (v: number) => left + (v / maxRatio) * panelW;
  const p2 = left + panelW + gap;
  const x2 = (v: number) => p2 + (v / maxP99) * panelW;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="16" y="24" font-size="16" font-weight="600">${esc(title)}</text>`,
    `<text x="16" y="42" fill="#555">${esc(subtitle)}</text>`,
    `<text x="${left}" y="${top - 12}" font-weight="600">throughput: ours / baseline (median rps)</text>`,
    `<text x="${p2}" y="${top - 12}" font-weight="600">p99 latency, ms</text>`,
  ];
  // Grid: ratio 0.5 / 1.0, latency quarters.
  for (const v of [0.5, 1]) {
    out.push(`<line x1="${x1(v)}" y1="${top - 4}" x2="${x1(v)}" y2="${top + rows.length * rowH}" stroke="${v === 1 ? '#999' : '#ddd'}" stroke-dasharray="${v === 1 ? '' : '3,3'}"/>`);
    out.push(`<text x="${x1(v)}" y="${top + rows.length * rowH + 14}" text-anchor="middle" fill="#666">${v.toFixed(1)}×</text>`);
  }
  for (const f of [0.25, 0.5, 0.75, 1]) {
    const v = (maxP99 / 1.1) * f;
    out.push(`<line x1="${x2(v)}" y1="${top - 4}" x2="${x2(v)}" y2="${top + rows.length * rowH}" stroke="#eee"/>`);
    out.push(`<text x="${x2(v)}" y="${top + rows.length * rowH + 14}" text-anchor="middle" fill="#666">${v.toFixed(v < 10 ? 1 : 0)}</text>`);
  }
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    out.push(`<text x="${left - 10}" y="${y + 20}" text-anchor="end">${esc(r.label)}</text>`);
    if (r.ratio !== null) {
      const color = r.target !== undefined && r.ratio < r.target ? '#d9822b' : '#2b7bd9';
      out.push(`<rect x="${left}" y="${y + 7}" width="${Math.max(1, x1(r.ratio) - left)}" height="18" fill="${color}"/>`);
      out.push(`<text x="${x1(r.ratio) + 4}" y="${y + 20}" fill="#333">${r.ratio.toFixed(2)}</text>`);
      if (r.target !== undefined) {
        out.push(`<line x1="${x1(r.target)}" y1="${y + 3}" x2="${x1(r.target)}" y2="${y + 29}" stroke="#c0392b" stroke-width="2"/>`);
      }
    } else {
      out.push(`<text x="${left + 4}" y="${y + 20}" fill="#888">no baseline</text>`);
    }
    if (r.oursP99 !== null) {
      out.push(`<rect x="${p2}" y="${y + 6}" width="${Math.max(1, x2(r.oursP99) - p2)}" height="10" fill="#2b7bd9"/>`);
      out.push(`<text x="${x2(r.oursP99) + 4}" y="${y + 15}" fill="#333" font-size="10">${r.oursP99}</text>`);
    }
    if (r.baselineP99 !== null) {
      out.push(`<rect x="${p2}" y="${y + 18}" width="${Math.max(1, x2(r.baselineP99) - p2)}" height="10" fill="#9aa5b1"/>`);
      out.push(`<text x="${x2(r.baselineP99) + 4}" y="${y + 27}" fill="#333" font-size="10">${r.baselineP99}</text>`);
    }
  });
  const ly = top + rows.length * rowH + 38;
  out.push(`<rect x="${left}" y="${ly - 9}" width="10" height="10" fill="#2b7bd9"/><text x="${left + 14}" y="${ly}">ours</text>`);
  out.push(`<rect x="${left + 70}" y="${ly - 9}" width="10" height="10" fill="#d9822b"/><text x="${left + 84}" y="${ly}">below its target</text>`);
  out.push(`<line x1="${left + 200}" y1="${ly - 10}" x2="${left + 200}" y2="${ly + 2}" stroke="#c0392b" stroke-width="2"/><text x="${left + 206}" y="${ly}">target</text>`);
  out.push(`<rect x="${p2}" y="${ly - 9}" width="10" height="10" fill="#2b7bd9"/><text x="${p2 + 14}" y="${ly}">ours p99</text>`);
  out.push(`<rect x="${p2 + 90}" y="${ly - 9}" width="10" height="10" fill="#9aa5b1"/><text x="${p2 + 104}" y="${ly}">baseline p99</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}

interface ReportLike {
  date: string;
  machine: { cpus: number; node: string; postgres: string; loadAverageAtStart?: number };
  load?: { before: number[]; after: number[] };
  scale: { users: number; posts: number };
  settings: { connections: number; duration: number; rounds: unknown };
  endpoints: { key: string; endpoint: string; ratio: number | null; ours: { p99: number } | null; baseline: { p99: number } | null }[];
}

/** Ratio targets, drawn as ticks: `GET /me` at 70% of the baseline. */
const TARGETS: Record<string, number> = { me: 0.7 };
/** Every other endpoint with a baseline: at least 60% of it (issue 18). */
const OTHER_TARGET = 0.6;

export function chartFromReport(report: ReportLike): string {
  const { machine, scale, settings } = report;
  return drawChart(
    report.endpoints.map((r) => ({ label: r.endpoint, ratio: r.ratio, oursP99: r.ours?.p99 ?? null, baselineP99: r.baseline?.p99 ?? null, target: r.ratio === null ? undefined : (TARGETS[r.key] ?? OTHER_TARGET) })),
    `x18 vs bare node:http + pg: ${scale.posts.toLocaleString('en-US')} posts, ${scale.users.toLocaleString('en-US')} users`,
    `${report.date.slice(0, 10)} · ${machine.cpus} cores, Node ${machine.node}, PostgreSQL ${machine.postgres.split(' ')[0]}` +
      `${report.load ? ` (load ${report.load.before[0]} → ${report.load.after[0]})` : machine.loadAverageAtStart !== undefined ? ` (load ${machine.loadAverageAtStart} at start)` : ''} · ` +
      `${settings.connections} connections, ${settings.duration} s × ${settings.rounds} rounds, medians`,
  );
}

/** One point of the scale curve: an endpoint's open-loop latency on one seeded size. */
export interface ScalePoint {
  key: string;
  endpoint: string;
  posts: number;
  p50: number;
  p99: number;
  /** p50 over the smallest size's p50 for the same endpoint. */
  vsSmallest: number;
}

export interface ScaleReportLike {
  date: string;
  machine: { cpus: number; node: string; postgres: string };
  settings: { rate: number; duration: number };
  sizes: { posts: number; users: number; load: { before: number[]; after: number[] } }[];
  points: ScalePoint[];
}

/** The target of the scale curve: each size's p50 within this factor of the smallest size's. */
export const SCALE_TARGET = 1.3;

const postsLabel = (n: number) => (n >= 1_000_000 ? `${+(n / 1_000_000).toFixed(1)}M` : `${+(n / 1000).toFixed(0)}k`);

/** The scale curve: p50 per endpoint and size (left), and the factor over the smallest size with its target (right). */
export function scaleChart(report: ScaleReportLike): string {
  const keys = [...new Set(report.points.map((p) => p.key))];
  const rowH = 22;
  const groupGap = 14;
  const left = 250;
  const panelW = 330;
  const gap = 70;
  const top = 74;
  const rows = report.points.length;
  const plotH = rows * rowH + keys.length * groupGap;
  const width = left + panelW * 2 + gap + 30;
  const height = top + plotH + 56;
  const maxP50 = Math.max(1, ...report.points.map((p) => p.p50)) * 1.15;
  const maxRatio = Math.max(SCALE_TARGET * 1.15, ...report.points.map((p) => p.vsSmallest)) * 1.05;
  const x1 = (v: number) => left + (v / maxP50) * panelW;
  const p2 = left + panelW + gap;
  const x2 = (v: number) => p2 + (v / maxRatio) * panelW;
  const smallest = Math.min(...report.sizes.map((s) => s.posts));
  const loads = report.sizes.map((s) => `${postsLabel(s.posts)}: ${s.load.before[0]}→${s.load.after[0]}`).join(', ');
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="16" y="24" font-size="16" font-weight="600">${esc(`x18 scale curve: p50 at ${report.sizes.map((s) => postsLabel(s.posts)).join(', ')} posts (${report.sizes[0]?.users.toLocaleString('en-US')} users)`)}</text>`,
    `<text x="16" y="42" fill="#555">${esc(`${report.date.slice(0, 10)} · ${report.machine.cpus} cores, Node ${report.machine.node} · open loop, ${report.settings.rate} req/s for ${report.settings.duration} s · load (1 min) ${loads}`)}</text>`,
    `<text x="${left}" y="${top - 12}" font-weight="600">p50 latency, ms</text>`,
    `<text x="${p2}" y="${top - 12}" font-weight="600">p50 over the ${postsLabel(smallest)} figure</text>`,
  ];
  for (const f of [0.25, 0.5, 0.75, 1]) {
    const v = (maxP50 / 1.15) * f;
    out.push(`<line x1="${x1(v)}" y1="${top - 4}" x2="${x1(v)}" y2="${top + plotH}" stroke="#eee"/>`);
    out.push(`<text x="${x1(v)}" y="${top + plotH + 14}" text-anchor="middle" fill="#666">${v.toFixed(v < 10 ? 1 : 0)}</text>`);
  }
  for (const v of [1, SCALE_TARGET]) {
    out.push(`<line x1="${x2(v)}" y1="${top - 4}" x2="${x2(v)}" y2="${top + plotH}" stroke="${v === 1 ? '#999' : '#c0392b'}" stroke-width="${v === 1 ? 1 : 2}"/>`);
    out.push(`<text x="${x2(v)}" y="${top + plotH + 14}" text-anchor="middle" fill="#666">${v.toFixed(1)}×</text>`);
  }
  let y = top;
  for (const key of keys) {
    const points = report.points.filter((p) => p.key === key);
    out.push(`<text x="${left - 10}" y="${y + 12}" text-anchor="end" font-weight="600">${esc(points[0].endpoint)}</text>`);
    y += groupGap;
    for (const p of points) {
      const color = p.vsSmallest > SCALE_TARGET ? '#d9822b' : '#2b7bd9';
      out.push(`<text x="${left - 10}" y="${y + 15}" text-anchor="end" fill="#333">${postsLabel(p.posts)} posts</text>`);
      out.push(`<rect x="${left}" y="${y + 5}" width="${Math.max(1, x1(p.p50) - left)}" height="13" fill="#2b7bd9"/>`);
      out.push(`<text x="${x1(p.p50) + 4}" y="${y + 15}" fill="#333" font-size="10">${p.p50} (p99 ${p.p99})</text>`);
      out.push(`<rect x="${p2}" y="${y + 5}" width="${Math.max(1, x2(p.vsSmallest) - p2)}" height="13" fill="${color}"/>`);
      out.push(`<text x="${x2(p.vsSmallest) + 4}" y="${y + 15}" fill="#333" font-size="10">${p.vsSmallest.toFixed(2)}×</text>`);
      y += rowH;
    }
  }
  const ly = top + plotH + 38;
  out.push(`<rect x="${p2}" y="${ly - 9}" width="10" height="10" fill="#2b7bd9"/><text x="${p2 + 14}" y="${ly}">within ${SCALE_TARGET}×</text>`);
  out.push(`<rect x="${p2 + 100}" y="${ly - 9}" width="10" height="10" fill="#d9822b"/><text x="${p2 + 114}" y="${ly}">above it</text>`);
  out.push(`<line x1="${p2 + 190}" y1="${ly - 10}" x2="${p2 + 190}" y2="${ly + 2}" stroke="#c0392b" stroke-width="2"/><text x="${p2 + 196}" y="${ly}">target ${SCALE_TARGET}×</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}
