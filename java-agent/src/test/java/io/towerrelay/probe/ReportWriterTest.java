package io.towerrelay.probe;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class ReportWriterTest {

    private static ProbeReport broken() {
        String body = "only speaks WebSocket";
        return Diagnosis.diagnose(Evidence.withHandshakes(Evidence.answered("/api/websocket/", 400, body),
                Evidence.answered("/websocket/", 400, body)));
    }

    @Test
    void jsonHasTheDocumentedSchema() throws Exception {
        JsonNode doc = new ObjectMapper().readTree(ReportWriter.json(broken()));

        assertThat(doc.get("schema").asInt()).isEqualTo(1);
        assertThat(doc.get("url").asText()).isEqualTo("http://tower.example.com/");
        assertThat(doc.get("live_events").asBoolean()).isFalse();
        assertThat(doc.get("exit_code").asInt()).isEqualTo(1);
        assertThat(doc.get("cause").asText()).isEqualTo("upgrade-not-passed");
        JsonNode first = doc.get("checks").get(0);
        assertThat(first.fieldNames()).toIterable()
                .containsExactly("id", "title", "status", "cause", "summary", "evidence", "advice");
        JsonNode handshake = null;
        for (JsonNode c : doc.get("checks")) {
            if (c.get("id").asText().equals("handshake:/websocket/")) {
                handshake = c;
            }
        }
        assertThat(handshake).isNotNull();
        assertThat(handshake.get("status").asText()).isEqualTo("fail");
        assertThat(handshake.get("evidence").get("body").asText()).isEqualTo("only speaks WebSocket");
        assertThat(handshake.get("advice").get("nginx").asText()).contains("proxy_http_version 1.1;");
        assertThat(handshake.get("advice").fieldNames()).toIterable()
                .containsExactly("fix", "nginx", "apache", "relay", "tower");
    }

    @Test
    void humanReportShowsCauseFixAndConfigLinesForFailures() {
        String text = ReportWriter.human(broken());
        assertThat(text).contains("FAIL  WebSocket handshake on /websocket/", "Cause: upgrade-not-passed",
                "NGINX:", "proxy_set_header Upgrade $http_upgrade;", "Apache:", "tower-relay config:",
                "Result: live events do NOT work: upgrade-not-passed.");
        // Both paths fail the same way: the fix is printed once.
        assertThat(text.split("proxy_set_header Upgrade", -1)).hasSize(2);
        assertThat(text).contains("Fix: as above.");
    }

    @Test
    void humanReportOfAHealthySetupSaysSo() {
        String text = ReportWriter.human(Diagnosis.diagnose(Evidence.healthy()));
        assertThat(text).contains("PASS  Live events arrive in order", "Result: live events work through this proxy.")
                .doesNotContain("FAIL");
    }
}
