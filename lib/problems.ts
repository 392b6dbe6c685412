/** A path into a construct's props, such as ['rules', 2, 'condition']. */
export type PropPath = readonly (string | number)[];

/**
 * A problem with a construct's props, found by its validation. `message` names other props
 * through `at`, so that an app can show them as it shows paths (the config file's
 * `falco.rules.0 (line 5)`), while the construct itself shows `rules.0`.
 */
export interface PropProblem {
  readonly path: PropPath;
  readonly message: (at: (path: PropPath) => string) => string;
}

/** `path: message`, as a construct's own validation reports it. */
export function formatPropProblem(problem: PropProblem): string {
  const at = (path: PropPath) => path.join('.');
  return `${at(problem.path) || '(props)'}: ${problem.message(at)}`;
}
