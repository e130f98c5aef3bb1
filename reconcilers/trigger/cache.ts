/** The trigger's read access to an informer cache (see runtime/informer.ts). */
export interface Cache<T> {
  get(name: string, namespace?: string): T | undefined;
  list(): T[];
}
