/**
 * `text` cut to at most `max` characters and 10 lines, marked where it was cut: output echoed
 * from helm or kubectl into a message stays readable whatever the tool printed.
 */
export function cut(text: string, max = 800): string {
  const lines = text.split('\n');
  let result = lines.length > 10 ? `${lines.slice(0, 10).join('\n')}\n…` : text;
  if (result.length > max) result = `${result.slice(0, max)}…`;
  return result;
}
