// The sandbox's files as a tree; changed files are marked.
import type { WorkbenchModel } from './model.ts';

interface Node {
  name: string;
  path: string;
  children?: Node[];
}

function build(paths: string[]): Node[] {
  const root: Node = { name: '', path: '', children: [] };
  for (const path of paths.sort()) {
    let dir = root;
    const parts = path.split('/');
    parts.forEach((part, i) => {
      const isFile = i === parts.length - 1;
      let next = dir.children!.find((c) => c.name === part && !!c.children === !isFile);
      if (!next) {
        next = { name: part, path: parts.slice(0, i + 1).join('/'), ...(isFile ? {} : { children: [] }) };
        dir.children!.push(next);
      }
      dir = next;
    });
  }
  const sort = (nodes: Node[]): Node[] =>
    nodes.sort((a, b) => Number(!!b.children) - Number(!!a.children) || a.name.localeCompare(b.name)).map((n) => (n.children ? { ...n, children: sort(n.children) } : n));
  return sort(root.children!);
}

export function FileTree({ model }: { model: WorkbenchModel }) {
  // Until the step's files arrive, their names (which the page carries) draw the tree.
  const tree = build(model.ready ? Object.keys(model.files.value) : [...model.step.value.paths]);
  const active = model.activeFile.value;
  const changed = model.changed.value;
  const render = (nodes: Node[]) => (
    <ul>
      {nodes.map((n) =>
        n.children ? (
          <li>
            <span class="hp-dir">{n.name}/</span>
            {render(n.children)}
          </li>
        ) : (
          <li>
            <button class="hp-file" data-path={n.path} aria-current={n.path === active ? 'true' : undefined} onClick={() => (model.activeFile.value = n.path)}>
              {n.name}
              {changed.has(n.path) && <span class="hp-changed" title="changed from the step's starting file"> ●</span>}
            </button>
          </li>
        ),
      )}
    </ul>
  );
  return (
    <nav class="hp-filetree" aria-label="Sandbox files">
      {render(tree)}
    </nav>
  );
}
