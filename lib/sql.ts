/**
 * SQL fragments every service's queries share.
 *
 * NOW: the wall clock at millisecond precision. `clock_timestamp()`, not `now()`: inside a long
 * transaction `now()` is the transaction's start, so two rows written in one transaction (and a
 * row written after a lock wait) would share or predate each other's times. Truncated to
 * milliseconds because timestamps are timestamptz(3) and cursors compare the ISO string.
 */
export const NOW = "date_trunc('milliseconds', clock_timestamp())";
