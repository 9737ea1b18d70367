// startup.mjs — how long `ember sql -e 'SELECT 1'` takes from exec to exit, and its peak
// resident memory. ember only: the peers are libraries loaded into node, whose start-up
// says nothing comparable.
export default {
  name: 'startup',
  title: "ember sql -e 'SELECT 1': wall time and peak RSS of the whole process",
  groups: ['startup'],
  order: 0,
  params: () => ({}),
  datasets: () => [],
  setup: () => '',
  // Cheap and noisy: more runs than the others.
  runs: (runs) => Math.max(runs, 10),
  queries: () => [{ id: 'select-1', title: 'SELECT 1', ember: 'SELECT 1', inline: true, expect: [[1]] }],
};
