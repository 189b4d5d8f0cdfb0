package io.towerrelay.probe;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.EOFException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertPathBuilderException;
import java.util.Map;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;

/** The small pure readers the probe's evidence is built from. */
class ParsersTest {

    @Test
    void httpHeadKeepsStatusHeadersAndBody() {
        HttpHead head = HttpHead.parse(("HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\nContent-Type: text/plain\r\n"
                + "Set-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\nmock-tower: /websocket/ only speaks WebSocket")
                .getBytes(StandardCharsets.ISO_8859_1));
        assertThat(head.status()).isEqualTo(400);
        assertThat(head.statusLine()).isEqualTo("HTTP/1.1 400 Bad Request");
        assertThat(head.headers()).containsEntry("server", "nginx/1.22.1").containsEntry("set-cookie", "a=1, b=2");
        assertThat(head.body()).isEqualTo("mock-tower: /websocket/ only speaks WebSocket");
    }

    @Test
    void httpHeadOfGarbageHasNoStatus() {
        assertThat(HttpHead.parse("\u0015\u0003\u0001".getBytes(StandardCharsets.ISO_8859_1)).status()).isZero();
    }

    @Test
    void echoHeadersAsTheMockSendsThemAndOtherShapes() {
        Map<String, String> list = EchoParser.headers("{\"headers\":[{\"name\":\"Host\",\"value\":\"t:8080\"},"
                + "{\"name\":\"Cookie\",\"value\":\"a=1\"},{\"name\":\"cookie\",\"value\":\"b=2\"}]}");
        assertThat(list).containsEntry("host", "t:8080").containsEntry("cookie", "a=1; b=2");
        assertThat(EchoParser.headers("{\"headers\":{\"X-Forwarded-For\":[\"1.2.3.4\",\"198.51.100.1\"]}}"))
                .containsEntry("x-forwarded-for", "1.2.3.4, 198.51.100.1");
        assertThat(EchoParser.headers("{\"headers\":[[\"Host\",\"h\"]]}")).containsEntry("host", "h");
        assertThat(EchoParser.headers("<html>not json")).isNull();
        assertThat(EchoParser.headers("{\"detail\":\"Not found.\"}")).isNull();
    }

    @Test
    void echoEvidenceComparesHostAndFindsCookies() {
        EchoEvidence echo = new EchoEvidence(200, "Tower.example.com:8443",
                Map.of("host", "tower.example.com:8443", "cookie", "csrftoken=x; awx_sessionid=y"), 0, null, null);
        assertThat(echo.hostPreserved()).isTrue();
        assertThat(echo.cookieArrived("awx_sessionid")).isTrue();
        assertThat(echo.cookieArrived("sessionid")).isFalse();
    }

    @Test
    void towerMessagesAreToldApart() {
        assertThat(TowerMessage.parse("{\"accept\": true, \"user\": 1}").kind()).isEqualTo(TowerMessage.Kind.ACCEPT);
        assertThat(TowerMessage.parse("{\"error\": \"access denied to channel\"}").kind())
                .isEqualTo(TowerMessage.Kind.REFUSED);
        assertThat(TowerMessage.parse("{\"groups_current\": [], \"groups_left\": [], \"groups_joined\": []}").kind())
                .isEqualTo(TowerMessage.Kind.SUBSCRIBED);
        TowerMessage event = TowerMessage.parse("{\"group_name\": \"job_events\", \"job\": 1, \"counter\": 7,"
                + " \"stdout\": \"ok: [web1]\"}");
        assertThat(event.kind()).isEqualTo(TowerMessage.Kind.JOB_EVENT);
        assertThat(event.counter()).isEqualTo(7);
        assertThat(TowerMessage.parse("{\"group_name\": \"jobs\", \"unified_job_id\": 1, \"status\": \"running\"}")
                .kind()).isEqualTo(TowerMessage.Kind.STATUS);
        assertThat(TowerMessage.parse("not json").kind()).isEqualTo(TowerMessage.Kind.OTHER);
    }

    @Test
    void subscriptionIsWhatTheUiSends() {
        assertThat(TowerMessage.subscribe("tok", "1")).isEqualTo(
                "{\"xrftoken\":\"tok\",\"groups\":{\"jobs\":[\"status_changed\",\"summary\"],\"job_events\":[\"1\"]}}");
        assertThat(TowerMessage.unsubscribeAll("tok")).isEqualTo("{\"xrftoken\":\"tok\",\"groups\":{}}");
    }

    @Test
    void transportErrorsAreClassified() {
        var pkix = new SSLHandshakeException("PKIX path building failed");
        pkix.initCause(new CertPathBuilderException("unable to find valid certification path to requested target"));
        assertThat(TransportError.of(pkix).kind()).isEqualTo(TransportError.Kind.TLS_UNTRUSTED);
        assertThat(TransportError.of(new SSLHandshakeException(
                "No subject alternative names matching IP address 127.0.0.1 found")).kind())
                .isEqualTo(TransportError.Kind.TLS_HOSTNAME);
        assertThat(TransportError.of(new SSLException("Unsupported or unrecognized SSL message")).kind())
                .isEqualTo(TransportError.Kind.TLS_NOT_TLS);
        assertThat(TransportError.of(new ConnectException("Connection refused")).kind())
                .isEqualTo(TransportError.Kind.REFUSED);
        assertThat(TransportError.of(new SocketTimeoutException("Read timed out")).kind())
                .isEqualTo(TransportError.Kind.TIMEOUT);
        assertThat(TransportError.of(new EOFException()).kind()).isEqualTo(TransportError.Kind.CLOSED);
    }

    @Test
    void browserHeadersFollowThePageUrl() {
        URI page = URI.create("https://Tower.example.com:443/jobs");
        assertThat(BrowserHeaders.host(page)).isEqualTo("Tower.example.com");
        assertThat(BrowserHeaders.origin(page)).isEqualTo("https://Tower.example.com");
        assertThat(BrowserHeaders.websocket(page, "/websocket/")).hasToString("wss://Tower.example.com/websocket/");
        URI plain = URI.create("http://127.0.0.1:8080/");
        assertThat(BrowserHeaders.host(plain)).isEqualTo("127.0.0.1:8080");
        assertThat(BrowserHeaders.websocket(plain, "/api/websocket/")).hasToString("ws://127.0.0.1:8080/api/websocket/");
        assertThat(BrowserHeaders.host(URI.create("http://[::1]:8080/"))).isEqualTo("[::1]:8080");
    }
}
