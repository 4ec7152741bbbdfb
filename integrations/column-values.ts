/**
 * Narrows a text column of duo_integrations to its documented values. Anything else is a bug worth a
 * 500, not a value to pass on to callers as if it were part of the contract.
 */
export function oneOf<const T extends readonly string[]>(allowed: T, value: string, column: string): T[number] {
  const found = allowed.find((candidate) => candidate === value);
  if (found === undefined) throw new Error(`duo_integrations.${column} holds an undocumented value`);
  return found;
}
