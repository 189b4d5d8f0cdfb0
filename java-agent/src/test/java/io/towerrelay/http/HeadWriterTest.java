package io.towerrelay.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.hc.core5.http.HttpVersion;
import org.apache.hc.core5.http.message.BasicHttpResponse;
import org.junit.jupiter.api.Test;

class HeadWriterTest {

    @Test
    void aStandardAnswerGetsItsStandardStatusLine() {
        BasicHttpResponse ok = new BasicHttpResponse(200);
        ok.addHeader("Content-Length", "2");

        assertThat(head(ok, HttpVersion.HTTP_1_1)).isEqualTo("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n");
        assertThat(head(new BasicHttpResponse(404, "Not Found"), HttpVersion.HTTP_1_1))
                .isEqualTo("HTTP/1.1 404 Not Found\r\n\r\n");
    }

    @Test
    void anUpstreamsOwnReasonPhraseIsKept() {
        assertThat(head(new BasicHttpResponse(200, "Fine"), HttpVersion.HTTP_1_1)).isEqualTo("HTTP/1.1 200 Fine\r\n\r\n");
        assertThat(head(new BasicHttpResponse(503, ""), HttpVersion.HTTP_1_1)).isEqualTo("HTTP/1.1 503 \r\n\r\n");
    }

    @Test
    void otherVersionsAndCodesWithoutAStandardReasonAreWrittenAsTheyAre() {
        assertThat(head(new BasicHttpResponse(200), HttpVersion.HTTP_1_0)).isEqualTo("HTTP/1.0 200 OK\r\n\r\n");
        assertThat(head(new BasicHttpResponse(299), HttpVersion.HTTP_1_1)).isEqualTo("HTTP/1.1 299 \r\n\r\n");
        assertThat(head(new BasicHttpResponse(799, "Custom"), HttpVersion.HTTP_1_1))
                .isEqualTo("HTTP/1.1 799 Custom\r\n\r\n");
    }

    @Test
    void aLineBreakInAReasonOrValueCannotEndTheLine() {
        BasicHttpResponse answer = new BasicHttpResponse(200, "O\r\nK");
        answer.addHeader("X-A", "1\n2");

        assertThat(head(answer, HttpVersion.HTTP_1_1)).isEqualTo("HTTP/1.1 200 O  K\r\nX-A: 1 2\r\n\r\n");
    }

    @Test
    void theBufferGrowsForALongHead() {
        BasicHttpResponse answer = new BasicHttpResponse(200);
        answer.addHeader("X-Long", "x".repeat(1000));

        ByteBuffer out = HeadWriter.response(answer, HttpVersion.HTTP_1_1, ByteBuffer.allocate(8));

        assertThat(out.position()).isEqualTo("HTTP/1.1 200 OK\r\nX-Long: \r\n\r\n".length() + 1000);
    }

    private static String head(BasicHttpResponse response, HttpVersion version) {
        ByteBuffer out = HeadWriter.response(response, version, ByteBuffer.allocate(16)).flip();
        return StandardCharsets.ISO_8859_1.decode(out).toString();
    }
}
