import type { ContentGroup } from './taxonomy.js';

/** A group with its subgroups, as `GET /api/groups` and the admin page show a group system. */
export interface GroupNode {
  readonly name: string;
  readonly label: string;
  readonly contents: readonly string[];
  readonly groups: GroupNode[];
}

/** The flat list (parents first) as a tree of nested `groups`. */
export function groupTree(groups: readonly ContentGroup[]): GroupNode[] {
  const nodes = new Map<string, GroupNode>();
  const roots: GroupNode[] = [];
  for (const g of groups) {
    const node: GroupNode = { name: g.name, label: g.label, contents: g.contents, groups: [] };
    nodes.set(g.name, node);
    const parent = g.parent === undefined ? undefined : nodes.get(g.parent);
    (parent?.groups ?? roots).push(node);
  }
  return roots;
}
