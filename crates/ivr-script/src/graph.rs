//! Whole-script checks on the node graph: nodes unreachable from `start`, and loops that
//! never wait for the caller [IVR-1] (validation at load).

use crate::error::{ScriptError, ScriptErrorKind};
use crate::script::Script;

/// Reports unreachable nodes and cycles without a menu or collect node.
pub(crate) fn check(script: &Script) -> Vec<ScriptError> {
    let mut errors = Vec::new();
    let successors: Vec<Vec<usize>> = script
        .nodes
        .iter()
        .map(|node| node.kind.successors())
        .collect();
    let error = |line: usize, kind: ScriptErrorKind| ScriptError {
        file: script.file.clone(),
        line,
        kind,
    };

    let mut reached = vec![false; script.nodes.len()];
    let mut stack = vec![script.start];
    while let Some(index) = stack.pop() {
        if let Some(seen) = reached.get_mut(index)
            && !*seen
        {
            *seen = true;
            stack.extend(successors.get(index).into_iter().flatten().copied());
        }
    }
    for (node, reached) in script.nodes.iter().zip(&reached) {
        if !reached {
            errors.push(error(
                node.line,
                ScriptErrorKind::UnreachableNode(node.name.clone()),
            ));
        }
    }

    for cycle in cycles_without_input(script, &successors) {
        let names: Vec<&str> = cycle
            .iter()
            .filter_map(|index| script.nodes.get(*index).map(|node| node.name.as_str()))
            .collect();
        let first = cycle.first().and_then(|index| script.nodes.get(*index));
        let line = first.map_or(1, |node| node.line);
        let mut path = names.join(" -> ");
        if let Some(name) = names.first() {
            path = format!("{path} -> {name}");
        }
        errors.push(error(line, ScriptErrorKind::LoopWithoutInput(path)));
    }
    errors
}

/// One cycle per back edge found by a depth-first search restricted to the nodes that
/// do not wait for input (iterative, so a long script cannot overflow the stack).
fn cycles_without_input(script: &Script, successors: &[Vec<usize>]) -> Vec<Vec<usize>> {
    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Mark {
        New,
        OnStack,
        Done,
    }
    let passive = |index: usize| {
        script
            .nodes
            .get(index)
            .is_some_and(|node| !node.kind.waits_for_input())
    };
    let mut marks = vec![Mark::New; script.nodes.len()];
    let mut cycles = Vec::new();
    for root in 0..script.nodes.len() {
        if !passive(root) || marks.get(root) != Some(&Mark::New) {
            continue;
        }
        // The DFS path: (node, index of the next successor to visit).
        let mut path: Vec<(usize, usize)> = vec![(root, 0)];
        if let Some(mark) = marks.get_mut(root) {
            *mark = Mark::OnStack;
        }
        while let Some((node, child)) = path.last_mut() {
            let node = *node;
            let next = successors
                .get(node)
                .and_then(|list| list.get(*child))
                .copied();
            *child = child.saturating_add(1);
            match next {
                None => {
                    if let Some(mark) = marks.get_mut(node) {
                        *mark = Mark::Done;
                    }
                    path.pop();
                }
                Some(next) if passive(next) => match marks.get(next) {
                    Some(Mark::New) => {
                        if let Some(mark) = marks.get_mut(next) {
                            *mark = Mark::OnStack;
                        }
                        path.push((next, 0));
                    }
                    Some(Mark::OnStack) => {
                        let from = path.iter().position(|(index, _)| *index == next);
                        if let Some(from) = from {
                            cycles.push(path.iter().skip(from).map(|(index, _)| *index).collect());
                        }
                    }
                    _ => {}
                },
                Some(_) => {}
            }
        }
    }
    cycles
}
