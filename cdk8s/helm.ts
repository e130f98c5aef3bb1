/**
 * Helm placeholders. cdk8s builds plain objects; where a chart value belongs, the app puts a
 * marker string made by {@link tpl}, and {@link renderTemplate} turns each marker into the Go
 * template action `{{ expr }}` after the YAML is written. A marker that is a whole scalar loses
 * its YAML quotes (so `{{ .Values.replicas }}` renders as a number); a marker inside a longer
 * string keeps them.
 */

const MARKER = /(["']?)__HELM__\((.+?)\)__\1/g;

/** A marker that renders as `{{ expr }}`. */
export function tpl(expr: string): string {
  if (expr.includes(')__')) throw new Error(`cannot use "${expr}" in a helm placeholder`);
  return `__HELM__(${expr})__`;
}

/** A string value of the chart, quoted by Helm: `{{ .Values.path | quote }}`. */
export function str(path: string): string {
  return tpl(`.Values.${path} | quote`);
}

/**
 * A number or boolean value of the chart, `{{ .Values.path }}`, typed as what the field expects
 * (the marker is a string until Helm renders it).
 */
export function raw<T extends number | boolean>(path: string): T {
  return tpl(`.Values.${path}`) as unknown as T;
}

/** The YAML text of a template with every marker replaced by its template action. */
export function renderTemplate(yamlText: string): string {
  return yamlText.replace(MARKER, (_match, _quote, expr: string) => `{{ ${expr} }}`);
}
