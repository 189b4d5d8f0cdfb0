package io.towerrelay.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.HttpVersion;
import org.apache.hc.core5.http.ParseException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class ResponseHeadParserTest {

    private static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    private static HttpResponse parse(String s) throws ParseException {
        ByteBuffer in = bytes(s);
        int end = ResponseHeadParser.headEnd(in, 0);
        assertThat(end).as("head end found").isPositive();
        return ResponseHeadParser.parse(in, end);
    }

    @Test
    void aHeadIsParsedAndTheBufferIsLeftAtTheBody() throws Exception {
        ByteBuffer in = bytes("HTTP/1.1 201 Created\r\nLocation: /api/v2/jobs/7/\r\nX-Empty:\r\n"
                + "Set-Cookie: a=\u00e9\t \r\nSet-Cookie: b=2\r\n\r\nBODY");
        HttpResponse r = ResponseHeadParser.parse(in, ResponseHeadParser.headEnd(in, 0));
        assertThat(r.getCode()).isEqualTo(201);
        assertThat(r.getReasonPhrase()).isEqualTo("Created");
        assertThat(r.getVersion()).isEqualTo(HttpVersion.HTTP_1_1);
        assertThat(r.getFirstHeader("Location").getValue()).isEqualTo("/api/v2/jobs/7/");
        assertThat(r.getFirstHeader("X-Empty").getValue()).isEmpty();
        assertThat(r.getHeaders("Set-Cookie")).extracting(h -> h.getValue()).containsExactly("a=\u00e9", "b=2");
        assertThat(StandardCharsets.ISO_8859_1.decode(in).toString()).isEqualTo("BODY");
    }

    @Test
    void theReasonMayBeEmptyOrMissingAndHttp10IsKnown() throws Exception {
        assertThat(parse("HTTP/1.1 204\r\n\r\n").getReasonPhrase()).isEmpty();
        assertThat(parse("HTTP/1.1 404 \r\n\r\n").getCode()).isEqualTo(404);
        assertThat(parse("HTTP/1.0 200 OK\r\n\r\n").getVersion()).isEqualTo(HttpVersion.HTTP_1_0);
    }

    @Test
    void anIncompleteHeadIsFoundOnceItsEndArrivesWhereverTheReadsSplitIt() {
        String head = "HTTP/1.1 200 OK\r\nA: 1\r\n\r\n";
        for (int split = 1; split < head.length(); split++) {
            ByteBuffer in = ByteBuffer.allocate(64);
            in.put(bytes(head.substring(0, split))).flip();
            assertThat(ResponseHeadParser.headEnd(in, 0)).isEqualTo(-1);
            int scanned = in.remaining();
            in.compact().put(bytes(head.substring(split))).flip();
            assertThat(ResponseHeadParser.headEnd(in, Math.max(0, scanned - 3))).isEqualTo(head.length());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX-A : 1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX-A: a\rB: 1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX-A: a\nB: 1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX-A: a\u0000\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX-A: a\u007f\r\n\r\n",
        "HTTP/1.1 200 OK\r\nNo colon\r\n\r\n",
        "HTTP/1.1 200 OK\r\n: no name\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX(A): 1\r\n\r\n",
        "HTTP/2.0 200 OK\r\n\r\n",
        "HTTP/1.1 20 OK\r\n\r\n",
        "HTTP/1.1 099 Low\r\n\r\n",
        "HTTP/1.1 2000 OK\r\n\r\n",
        "HTTP/1.1 2x0 OK\r\n\r\n",
        "ICY 200 OK\r\n\r\n",
    })
    void malformedHeadsAreRefused(String head) {
        assertThatThrownBy(() -> parse(head)).isInstanceOf(ParseException.class);
    }
}
