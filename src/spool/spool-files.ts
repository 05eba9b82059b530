/** The spool's folder inside STORAGE_DIR (a dot-folder: image scans skip it). */
export const SPOOL_FOLDER = '.spool';

/** Where files the spool could not read, or read only in part, are moved or copied. */
export const QUARANTINE_FOLDER = 'quarantine';

/** A spool file moved or copied to quarantine, and why. */
export interface Quarantined {
  readonly file: string;
  readonly reason: string;
}
