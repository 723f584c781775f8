export { Budgets, periodStarts, RunBudget, type BudgetStop, type MeteredPart } from './budgets.js';
export { MemoryLeaseSet, RedisLeaseSet, type LeaseSet } from './lease-set.js';
export { UserLimiter, type LimitRefusal, type Release } from './user-limiter.js';
export { effectiveLimits, USER_LIMIT_NAMES, type UserLimitOverrides, type UserLimits } from './user-limits.js';
