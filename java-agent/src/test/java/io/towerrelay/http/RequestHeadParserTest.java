package io.towerrelay.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.HttpVersion;
import org.apache.hc.core5.http.ProtocolException;
import org.apache.hc.core5.http.UnsupportedHttpVersionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RequestHeadParserTest {

    private static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    private static HttpRequest parse(String s) throws ProtocolException {
        ByteBuffer in = bytes(s);
        RequestHeadParser.skipEmptyLines(in);
        int end = RequestHeadParser.headEnd(in, in.position());
        assertThat(end).as("head end found in %s", s).isPositive();
        return RequestHeadParser.parse(in, end);
    }

    @Test
    void aHeadIsParsedAndTheBufferIsLeftAtTheBody() throws Exception {
        ByteBuffer in = bytes("POST /api/v2/job_templates/7/launch/?x=1 HTTP/1.1\r\nHost: tower\r\nX-Empty:\r\n"
                + "Cookie: a=\u00e9\t \r\nContent-Length: 4\r\n\r\nBODY");
        HttpRequest r = RequestHeadParser.parse(in, RequestHeadParser.headEnd(in, 0));
        assertThat(r.getMethod()).isEqualTo("POST");
        assertThat(r.getRequestUri()).isEqualTo("/api/v2/job_templates/7/launch/?x=1");
        assertThat(r.getVersion()).isEqualTo(HttpVersion.HTTP_1_1);
        assertThat(r.getHeaders()).extracting(Header::getName).containsExactly("Host", "X-Empty", "Cookie", "Content-Length");
        assertThat(r.getFirstHeader("X-Empty").getValue()).isEmpty();
        assertThat(r.getFirstHeader("Cookie").getValue()).isEqualTo("a=\u00e9");
        assertThat(StandardCharsets.ISO_8859_1.decode(in).toString()).isEqualTo("BODY");
    }

    @Test
    void bareLfLineEndsAndObsoleteFoldingAreNormalised() throws Exception {
        HttpRequest r = parse("GET / HTTP/1.1\nHost: tower\nX-Folded: a\r\n \t b\r\nX-Next: c\n\nrest");
        assertThat(r.getFirstHeader("Host").getValue()).isEqualTo("tower");
        assertThat(r.getFirstHeader("X-Folded").getValue()).isEqualTo("a b");
        assertThat(r.getFirstHeader("X-Next").getValue()).isEqualTo("c");
        // A fold of only whitespace adds nothing: written again and parsed back, the value is the same.
        assertThat(parse("GET / HTTP/1.1\r\nX-A: a\r\n \t\r\n\r\n").getFirstHeader("X-A").getValue()).isEqualTo("a");
    }

    @Test
    void emptyLinesBeforeTheRequestLineAreSkipped() throws Exception {
        assertThat(parse("\r\n\r\nGET /x HTTP/1.0\r\n\r\n").getVersion()).isEqualTo(HttpVersion.HTTP_1_0);
    }

    @Test
    void anIncompleteHeadIsFoundOnceItsEndArrivesWhereverTheReadsSplitIt() {
        for (String head : new String[] {"GET / HTTP/1.1\r\nA: 1\r\n\r\n", "GET / HTTP/1.1\nA: 1\n\n"}) {
            for (int split = 1; split < head.length(); split++) {
                ByteBuffer in = ByteBuffer.allocate(64);
                in.put(bytes(head.substring(0, split))).flip();
                assertThat(RequestHeadParser.headEnd(in, 0)).isEqualTo(-1);
                int scanned = in.remaining();
                in.compact().put(bytes(head.substring(split))).flip();
                assertThat(RequestHeadParser.headEnd(in, Math.max(0, scanned - 2))).as("split at %d", split)
                        .isEqualTo(head.length());
            }
        }
    }

    @Test
    void originFormTargetsAreKeptAsSentAndOtherFormsAreReadAsUris() throws Exception {
        for (String target : new String[] {"/", "/api/v2/jobs/?page=2&x=%2F", "/a|b", "/a%zz", "/a?"}) {
            HttpRequest r = parse("GET " + target + " HTTP/1.1\r\n\r\n");
            assertThat(r.getRequestUri()).isEqualTo(target);
            assertThat(r.getScheme()).isNull();
            assertThat(r.getAuthority()).isNull();
        }
        HttpRequest absolute = parse("GET http://tower:8052/api/v2/?a=1 HTTP/1.1\r\n\r\n");
        assertThat(absolute.getScheme()).isEqualTo("http");
        assertThat(absolute.getAuthority().getHostName()).isEqualTo("tower");
        assertThat(absolute.getRequestUri()).isEqualTo("/api/v2/?a=1");
        assertThat(parse("GET //a//b/x HTTP/1.1\r\n\r\n").getAuthority().getHostName()).isEqualTo("a");
        assertThat(parse("GET /a#frag HTTP/1.1\r\n\r\n").getRequestUri()).isEqualTo("/a");
    }

    @Test
    void valuesTheScreenJudgesArePassedOnAsTheyCame() throws Exception {
        // Control characters in values and odd tokens are the request screen's to refuse, with its reason.
        HttpRequest r = parse("G(T /a\u0001b HTTP/1.7\r\nX(A): a\u0000b\rc\r\n\r\n");
        assertThat(r.getMethod()).isEqualTo("G(T");
        assertThat(r.getVersion()).isEqualTo(HttpVersion.get(1, 7));
        assertThat(r.getFirstHeader("X(A)").getValue()).isEqualTo("a\u0000b\rc");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "GET /x HTTP/1.1\r\nX-A : 1\r\n\r\n",
        "GET /x HTTP/1.1\r\nX-A\t: 1\r\n\r\n",
        "GET /x HTTP/1.1\r\nNo colon\r\n\r\n",
        "GET /x HTTP/1.1\r\n: no name\r\n\r\n",
        "GET /x HTTP/1.1\r\n folded first\r\n\r\n",
        "GET /a b HTTP/1.1\r\n\r\n",
        "GET  /x HTTP/1.1\r\n\r\n",
        "GET /x\r\n\r\n",
        "GET /x HTTP/1.1 \r\n\r\n",
        "GET /x HTTP/1\r\n\r\n",
        "GET /x HTTP/1.11\r\n\r\n",
        "GET /x http/1.1\r\n\r\n",
        "/x HTTP/1.1\r\n\r\n",
    })
    void malformedHeadsAreRefused(String head) {
        assertThatThrownBy(() -> parse(head)).isInstanceOf(ProtocolException.class);
    }

    @Test
    void whatCannotStartARequestLineIsKnownFromItsFirstBytes() {
        assertThat(RequestHeadParser.mayStartRequest(bytes("G"))).isTrue();
        assertThat(RequestHeadParser.mayStartRequest(bytes("PROPFIND /x"))).isTrue();
        assertThat(RequestHeadParser.mayStartRequest(bytes("\u0016\u0003\u0001\u0002\u0000"))).as("TLS ClientHello").isFalse();
        assertThat(RequestHeadParser.mayStartRequest(bytes("G(T / HTTP/1.1"))).isFalse();
        assertThat(RequestHeadParser.mayStartRequest(bytes(" GET /"))).isFalse();
        assertThat(RequestHeadParser.mayStartRequest(bytes("A".repeat(RequestHeadParser.MAX_METHOD)))).isTrue();
        assertThat(RequestHeadParser.mayStartRequest(bytes("A".repeat(RequestHeadParser.MAX_METHOD + 1)))).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"HTTP/2.0", "HTTP/3.0", "HTTP/0.9"})
    void otherMajorVersionsAreUnsupported(String version) {
        assertThatThrownBy(() -> parse("GET /x " + version + "\r\n\r\n")).isInstanceOf(UnsupportedHttpVersionException.class);
    }
}
