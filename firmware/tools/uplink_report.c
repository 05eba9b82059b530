/* How cable-uplink-send prints an upload: a line of text, or a JSON object. */
#include "uplink_report.h"

#include <stdio.h>

static const char *refusal_name(uint8_t code)
{
    static const char *const names[] = {"ok",          "busy",      "too large", "bad parameters",
                                        "no transfer", "bad length", "bad index", "storage failure"};
    return code < sizeof names / sizeof names[0] ? names[code] : "unknown reason";
}

/* `text` as the contents of a JSON string. */
static void print_json_string(const char *text)
{
    putchar('"');
    for (const unsigned char *at = (const unsigned char *)text; *at != '\0'; at++) {
        if (*at == '"' || *at == '\\') printf("\\%c", *at);
        else if (*at < 0x20) printf("\\u%04x", *at);
        else putchar(*at);
    }
    putchar('"');
}

void print_upload_json(const char *path, const cu_result *result)
{
    printf("{\"image\":");
    print_json_string(path);
    printf(",\"outcome\":\"%s\",\"storedMs\":%lu,\"totalMs\":%lu,\"bytes\":%lu,\"packets\":%u,"
           "\"crc\":\"%08lx\",\"requests\":%lu,\"packetsSent\":%lu,\"endRounds\":%lu,\"restarts\":%lu,"
           "\"timeouts\":%lu,\"skipped\":%lu,\"malformed\":%lu,\"refusal\":%u,\"verdict\":",
           cu_outcome_name(result->outcome), (unsigned long)result->stored_ms, (unsigned long)result->total_ms,
           (unsigned long)result->image_bytes, (unsigned)result->packets, (unsigned long)result->crc,
           (unsigned long)result->requests, (unsigned long)result->packets_sent,
           (unsigned long)result->end_rounds, (unsigned long)result->restarts, (unsigned long)result->timeouts,
           (unsigned long)result->skipped, (unsigned long)result->malformed, (unsigned)result->refusal);
    if (!result->verdict_received) {
        printf("null}\n");
        return;
    }
    const cu_verdict *verdict = &result->verdict;
    printf("{\"status\":\"%s\",\"verdict\":\"%s\",\"classIndex\":%u,\"confidence\":%u,\"label\":",
           cu_analysis_status_name(verdict->status), cu_verdict_name(verdict->verdict),
           (unsigned)verdict->class_index, (unsigned)verdict->confidence);
    print_json_string(verdict->label);
    printf("}}\n");
}

/* ", 1 request", ", 2 requests". */
static void print_count(uint32_t count, const char *one, const char *many)
{
    printf(", %lu %s", (unsigned long)count, count == 1 ? one : many);
}

void print_upload_text(const char *path, const cu_result *result, uint32_t result_timeout_ms)
{
    if (result->outcome == CU_STORED) {
        printf("%s: stored in %lu ms, ", path, (unsigned long)result->stored_ms);
        const cu_verdict *verdict = &result->verdict;
        if (!result->verdict_received && result_timeout_ms == 0) printf("verdict not awaited");
        else if (!result->verdict_received) printf("no verdict within %lu ms", (unsigned long)result_timeout_ms);
        else if (verdict->status != CU_ANALYSED) printf("verdict none (%s)", cu_analysis_status_name(verdict->status));
        else {
            printf("verdict %s (%s, %u.%02u %%)", cu_verdict_name(verdict->verdict), verdict->label,
                   verdict->confidence / 100u, verdict->confidence % 100u);
        }
    } else if (result->outcome == CU_REFUSED) {
        printf("%s: refused (%s) after %lu ms", path, refusal_name(result->refusal), (unsigned long)result->total_ms);
    } else {
        printf("%s: %s after %lu ms", path, cu_outcome_name(result->outcome), (unsigned long)result->total_ms);
    }
    printf("; %lu bytes, %u packets, crc %08lx", (unsigned long)result->image_bytes, (unsigned)result->packets,
           (unsigned long)result->crc);
    print_count(result->requests, "request", "requests");
    print_count(result->packets_sent, "packet sent", "packets sent");
    print_count(result->end_rounds, "end of transfer", "ends of transfer");
    print_count(result->restarts, "restart", "restarts");
    print_count(result->timeouts, "timeout", "timeouts");
    putchar('\n');
}
