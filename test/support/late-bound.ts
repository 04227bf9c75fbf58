/**
 * A stand-in for a value a suite creates in `beforeAll`: property reads go to the value once it exists, so the
 * suite can hold `const t = useTestApp()` instead of `let t` plus its own hooks. Methods are bound to the value.
 */
export function lateBound<T extends object>(get: () => T | undefined, what: string): T {
  return new Proxy({} as T, {
    get(_, key) {
      const value = get();
      if (!value) throw new Error(`${what} is used outside its suite's hooks and tests (before beforeAll or after afterAll)`);
      const member = Reflect.get(value, key, value) as unknown;
      return typeof member === 'function' ? (member as (...args: unknown[]) => unknown).bind(value) : member;
    },
    has: (_, key) => {
      const value = get();
      return !!value && key in value;
    },
  });
}
