package io.towerrelay.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.ParseException;
import org.apache.hc.core5.http.message.BasicHttpRequest;
import org.apache.hc.core5.http.message.BasicHttpResponse;
import org.junit.jupiter.api.Test;

class MessageHeadsTest {

    @Test
    void requestHeadAddsTheUpgradePairAndKeepsWebSocketHeaders() {
        BasicHttpRequest request = new BasicHttpRequest("GET", "/websocket/?x=1");
        request.addHeader("Host", "tower.example.test");
        request.addHeader("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");
        request.addHeader("Sec-WebSocket-Protocol", "chat");
        request.addHeader("X-Forwarded-For", "192.0.2.7");
        request.addHeader("Keep-Alive", "timeout=5"); // hop-by-hop that slipped through: dropped
        String head = StandardCharsets.ISO_8859_1.decode(MessageHeads.requestHead(request)).toString();
        assertThat(head).startsWith("GET /websocket/?x=1 HTTP/1.1\r\n")
                .contains("Host: tower.example.test\r\n", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n",
                        "Sec-WebSocket-Protocol: chat\r\n", "X-Forwarded-For: 192.0.2.7\r\n")
                .doesNotContain("Keep-Alive")
                .endsWith("Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
    }

    @Test
    void parsesAHeadAndLeavesTheBytesBehindIt() throws Exception {
        ByteBuffer in = ByteBuffer.wrap(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\u0081\u0002hi").getBytes(StandardCharsets.ISO_8859_1));
        HttpResponse response = MessageHeads.parseResponseHead(in);
        assertThat(response.getCode()).isEqualTo(101);
        assertThat(response.getFirstHeader("Sec-WebSocket-Accept").getValue()).isEqualTo("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        assertThat(in.remaining()).isEqualTo(4);
        assertThat(in.get()).isEqualTo((byte) 0x81);
    }

    @Test
    void incompleteHeadWaitsForMoreBytes() throws Exception {
        ByteBuffer in = ByteBuffer.wrap("HTTP/1.1 101 Switching Protocols\r\nUpgrade: webs".getBytes(StandardCharsets.ISO_8859_1));
        assertThat(MessageHeads.parseResponseHead(in)).isNull();
        assertThat(in.position()).isZero();
    }

    @Test
    void garbageIsAParseError() {
        ByteBuffer in = ByteBuffer.wrap("SSH-2.0-OpenSSH\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        assertThatThrownBy(() -> MessageHeads.parseResponseHead(in)).isInstanceOf(ParseException.class);
    }

    @Test
    void refusedHeadLosesFramingAndConnectionScopedHeaders() {
        BasicHttpResponse upstream = new BasicHttpResponse(403, "Forbidden");
        upstream.addHeader("Connection", "close, X-Hop");
        upstream.addHeader("X-Hop", "1");
        upstream.addHeader("Content-Length", "9");
        upstream.addHeader("Upgrade", "websocket");
        upstream.addHeader("Set-Cookie", "csrftoken=abc");
        HttpResponse relayed = MessageHeads.relayedHead(upstream);
        assertThat(relayed.getCode()).isEqualTo(403);
        assertThat(relayed.getHeaders()).extracting(h -> h.getName()).containsExactly("Set-Cookie");
    }
}
