package io.towerrelay.probe;

import java.util.List;

/**
 * Everything one probe run found.
 *
 * @param url        the page URL probed
 * @param checks     every check, in the order they ran
 * @param activeNode the Tower node that answered {@code /api/v2/ping/} through the proxy ({@code active_node}), or
 *                   null when unknown; behind a balancer, which node of the cluster this run reached
 */
public record ProbeReport(String url, List<Check> checks, String activeNode) {

    public static final int EXIT_LIVE_EVENTS_WORK = 0;
    public static final int EXIT_BROKEN = 1;

    public ProbeReport {
        checks = List.copyOf(checks);
    }

    public ProbeReport(String url, List<Check> checks) {
        this(url, checks, null);
    }

    public ProbeReport withActiveNode(String node) {
        return new ProbeReport(url, checks, node);
    }

    /** Live events work when no check failed and events actually arrived. */
    public boolean liveEventsWork() {
        boolean eventsArrived = checks.stream()
                .anyMatch(c -> c.id().equals(CheckIds.EVENTS) && c.status() == CheckStatus.PASS);
        return eventsArrived && failures().isEmpty();
    }

    public List<Check> failures() {
        return checks.stream().filter(c -> c.status() == CheckStatus.FAIL).toList();
    }

    public int exitCode() {
        return liveEventsWork() ? EXIT_LIVE_EVENTS_WORK : EXIT_BROKEN;
    }

    public Check check(String id) {
        return checks.stream().filter(c -> c.id().equals(id)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no check " + id));
    }
}
