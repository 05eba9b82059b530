/**
 * The tests run the firmware emulations time-scaled (down to 0.02): their retries come sooner
 * than the production duplicate window and accept hold allow for, so the test gateway scales
 * those two as well. The tests of those guarantees set the production values back.
 */
export const TIME_SCALED_WINDOWS = { DUPLICATE_WINDOW_MS: 20, ACCEPT_HOLD_MS: 10 } as const;

/** The production values of the two windows (the defaults). */
export const PRODUCTION_WINDOWS = { DUPLICATE_WINDOW_MS: 500, ACCEPT_HOLD_MS: 250 } as const;
