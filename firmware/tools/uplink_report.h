/* The lines cable-uplink-send prints, one per image. */
#ifndef UPLINK_REPORT_H
#define UPLINK_REPORT_H

#include "cable_uplink.h"

/** `path: stored in N ms, verdict …; bytes, packets, crc, requests…`, for people. */
void print_upload_text(const char *path, const cu_result *result, uint32_t result_timeout_ms);

/** One JSON object (apps/esp-sim/src/generation-c.ts reads it: keep the two in step). */
void print_upload_json(const char *path, const cu_result *result);

#endif /* UPLINK_REPORT_H */
