/* Keep or reject: every kind of result under the fail-safe policy and a lenient one. */
#include "cable_uplink.h"
#include "cu_test.h"

static cu_result with_verdict(uint8_t status, uint8_t verdict)
{
    cu_result result;
    memset(&result, 0, sizeof result);
    result.outcome = CU_STORED;
    result.verdict_received = true;
    result.verdict.status = status;
    result.verdict.verdict = verdict;
    return result;
}

static void keeps_only_a_pass_under_the_fail_safe_policy(void)
{
    cu_policy policy;
    cu_policy_fail_safe(&policy);
    cu_result pass = with_verdict(CU_ANALYSED, CU_PASS);
    cu_result defect = with_verdict(CU_ANALYSED, CU_DEFECT);
    cu_result uncertain = with_verdict(CU_ANALYSED, CU_UNCERTAIN);
    cu_result unanalysed = with_verdict(CU_ANALYSIS_UNAVAILABLE, CU_UNCERTAIN);
    cu_result no_verdict = with_verdict(CU_ANALYSED, CU_PASS);
    no_verdict.verdict_received = false;
    cu_result failed = with_verdict(CU_ANALYSED, CU_PASS);
    failed.outcome = CU_NO_ANSWER;
    CHECK_EQ(cu_decide(&pass, &policy), CU_KEEP);
    CHECK_EQ(cu_decide(&defect, &policy), CU_REJECT);
    CHECK_EQ(cu_decide(&uncertain, &policy), CU_REJECT);
    CHECK_EQ(cu_decide(&unanalysed, &policy), CU_REJECT);
    CHECK_EQ(cu_decide(&no_verdict, &policy), CU_REJECT);
    CHECK_EQ(cu_decide(&failed, &policy), CU_REJECT);
}

static void rejects_a_defect_whatever_the_policy(void)
{
    cu_policy lenient = {false, false, false};
    cu_result defect = with_verdict(CU_ANALYSED, CU_DEFECT);
    cu_result uncertain = with_verdict(CU_ANALYSED, CU_UNCERTAIN);
    cu_result undecodable = with_verdict(CU_UNDECODABLE, CU_UNCERTAIN);
    cu_result timed_out = with_verdict(CU_ANALYSED, CU_DEFECT);
    timed_out.outcome = CU_TIMED_OUT;
    CHECK_EQ(cu_decide(&defect, &lenient), CU_REJECT);
    CHECK_EQ(cu_decide(&uncertain, &lenient), CU_KEEP);
    CHECK_EQ(cu_decide(&undecodable, &lenient), CU_KEEP);
    CHECK_EQ(cu_decide(&timed_out, &lenient), CU_KEEP);
}

int main(void)
{
    RUN(keeps_only_a_pass_under_the_fail_safe_policy);
    RUN(rejects_a_defect_whatever_the_policy);
    return cu_test_report("decide", 2);
}
