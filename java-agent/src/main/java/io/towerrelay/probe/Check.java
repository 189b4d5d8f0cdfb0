package io.towerrelay.probe;

import java.util.Map;
import java.util.Objects;

/**
 * One thing the probe looked at.
 *
 * @param id       stable identifier machines key on (e.g. {@code handshake:/websocket/})
 * @param title    what was checked, for people
 * @param status   pass / warn / fail / skip
 * @param cause    stable code of the diagnosed cause ({@link Cause}), null when nothing is wrong
 * @param summary  one sentence: what was seen and what it means
 * @param evidence what was observed, in the order it is worth reading
 * @param advice   what to do, null when nothing is to be done
 */
public record Check(
        String id,
        String title,
        CheckStatus status,
        Cause cause,
        String summary,
        Map<String, String> evidence,
        Advice advice) {

    public Check {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(summary, "summary");
        evidence = evidence == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(evidence));
    }

    public static Check pass(String id, String title, String summary, Map<String, String> evidence) {
        return new Check(id, title, CheckStatus.PASS, null, summary, evidence, null);
    }

    public static Check skip(String id, String title, String why) {
        return new Check(id, title, CheckStatus.SKIP, null, why, Map.of(), null);
    }

    public static Check finding(String id, String title, CheckStatus status, Cause cause, String summary,
            Map<String, String> evidence) {
        return new Check(id, title, status, cause, summary, evidence, Remedies.forCause(cause));
    }
}
