// A module resolve hook for running pushwire from its TypeScript sources inside the repository: it adds the
// `pushwire-source` export condition, so `@pushwire/*` imports resolve to each package's src/ (no build needed).
export async function resolve(specifier, context, nextResolve) {
  const conditions = context.conditions.includes('pushwire-source')
    ? context.conditions
    : [...context.conditions, 'pushwire-source'];
  return nextResolve(specifier, { ...context, conditions });
}
