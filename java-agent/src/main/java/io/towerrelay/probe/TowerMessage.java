package io.towerrelay.probe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;

/**
 * A message on Tower's live-events socket, reduced to what the probe tells apart.
 *
 * @param kind    what the message is
 * @param counter the job event's counter ({@link Kind#JOB_EVENT} only)
 */
record TowerMessage(Kind kind, long counter) {

    enum Kind { ACCEPT, SUBSCRIBED, REFUSED, JOB_EVENT, STATUS, OTHER }

    private static final ObjectMapper JSON = new ObjectMapper();

    static TowerMessage parse(String text) {
        JsonNode node;
        try {
            node = JSON.readTree(text);
        } catch (IOException e) {
            return new TowerMessage(Kind.OTHER, 0);
        }
        if (node == null || !node.isObject()) {
            return new TowerMessage(Kind.OTHER, 0);
        }
        if (node.has("accept")) {
            return new TowerMessage(node.get("accept").asBoolean() ? Kind.ACCEPT : Kind.REFUSED, 0);
        }
        if (node.has("error")) {
            return new TowerMessage(Kind.REFUSED, 0);
        }
        if (node.has("groups_current") || node.has("groups_joined")) {
            return new TowerMessage(Kind.SUBSCRIBED, 0);
        }
        String group = node.path("group_name").asText("");
        if (group.equals("job_events") && node.has("counter")) {
            return new TowerMessage(Kind.JOB_EVENT, node.get("counter").asLong());
        }
        if (group.equals("jobs") || node.has("status")) {
            return new TowerMessage(Kind.STATUS, 0);
        }
        return new TowerMessage(Kind.OTHER, 0);
    }

    /** The subscription the Tower UI's job output page sends: the job's events and job status changes. */
    static String subscribe(String xrftoken, String jobId) {
        ObjectNode msg = JSON.createObjectNode();
        msg.put("xrftoken", xrftoken == null ? "" : xrftoken);
        ObjectNode groups = msg.putObject("groups");
        groups.putArray("jobs").add("status_changed").add("summary");
        groups.putArray("job_events").add(jobId);
        return msg.toString();
    }

    /** Subscribes to nothing (replaces the subscription), so the socket goes quiet for the idle check. */
    static String unsubscribeAll(String xrftoken) {
        ObjectNode msg = JSON.createObjectNode();
        msg.put("xrftoken", xrftoken == null ? "" : xrftoken);
        msg.putObject("groups");
        return msg.toString();
    }
}
