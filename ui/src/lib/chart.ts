// Charts through Chart.js 4, as a Svelte attachment: `{@attach chart(config)}` on a canvas
// draws it, redraws when the config changes, and destroys it with the element. Each chart
// also writes its numbers on the canvas (data-values) so tests and screen readers read what
// is drawn.
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
} from 'chart.js';

Chart.register(BarController, BarElement, CategoryScale, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip);

export type ChartSpec = ChartConfiguration<'bar' | 'line', number[], string>;

/** The numbers a chart shows, series by series: `label:1,2,3;label:4,5,6`. */
export function valuesOf(spec: ChartSpec): string {
  return spec.data.datasets.map((d) => `${d.label ?? ''}:${d.data.join(',')}`).join(';');
}

export function chart(spec: ChartSpec) {
  return (canvas: HTMLCanvasElement) => {
    canvas.dataset.values = valuesOf(spec);
    canvas.dataset.labels = (spec.data.labels ?? []).join(',');
    // The desk has no animation budget and tests screenshot the final picture.
    const instance = new Chart(canvas, { ...spec, options: { animation: false, responsive: true, maintainAspectRatio: false, ...spec.options } });
    return () => instance.destroy();
  };
}

/** A bar chart of one or more series over the same labels. */
export function bars(labels: string[], series: { label: string; data: number[]; color: string }[], stacked = false): ChartSpec {
  return {
    type: 'bar',
    data: { labels, datasets: series.map((s) => ({ label: s.label, data: s.data, backgroundColor: s.color })) },
    options: { scales: { x: { stacked }, y: { stacked, beginAtZero: true } } },
  };
}
