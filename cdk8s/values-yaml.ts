/** values.yaml text: the defaults of values.ts with their comments. */
import { Document, isMap, isScalar, type YAMLMap } from 'yaml';
import { defaultValues, valueComments } from './values.ts';

export function valuesYaml(): string {
  const doc = new Document(defaultValues, { version: '1.1' });
  for (const [path, comment] of Object.entries(valueComments)) {
    const keys = path.split('.');
    const parent = keys.length > 1 ? doc.getIn(keys.slice(0, -1)) : doc.contents;
    const pair = isMap(parent)
      ? (parent as YAMLMap).items.find((p) => isScalar(p.key) && p.key.value === keys.at(-1))
      : undefined;
    if (!pair || !isScalar(pair.key))
      throw new Error(`values.ts: no value at "${path}" to comment`);
    pair.key.commentBefore = comment
      .split('\n')
      .map((line) => ` ${line}`)
      .join('\n');
  }
  return doc.toString({ lineWidth: 0 });
}
