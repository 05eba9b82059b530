/* From a verdict to what the line does: the one decision the firmware makes, kept off the chip code. */
#include "cable_uplink.h"

void cu_policy_fail_safe(cu_policy *policy)
{
    policy->reject_uncertain = true;
    policy->reject_unanalysed = true;
    policy->reject_without_verdict = true;
}

cu_action cu_decide(const cu_result *result, const cu_policy *policy)
{
    if (result->outcome != CU_STORED || !result->verdict_received) {
        return policy->reject_without_verdict ? CU_REJECT : CU_KEEP;
    }
    const cu_verdict *verdict = &result->verdict;
    if (verdict->status != CU_ANALYSED) return policy->reject_unanalysed ? CU_REJECT : CU_KEEP;
    switch (verdict->verdict) {
    case CU_PASS:
        return CU_KEEP;
    case CU_UNCERTAIN:
        return policy->reject_uncertain ? CU_REJECT : CU_KEEP;
    default:
        return CU_REJECT;
    }
}
