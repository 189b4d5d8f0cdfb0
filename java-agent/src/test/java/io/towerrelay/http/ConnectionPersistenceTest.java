package io.towerrelay.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.hc.core5.http.EntityDetails;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.HttpVersion;
import org.apache.hc.core5.http.impl.BasicEntityDetails;
import org.apache.hc.core5.http.message.BasicHttpRequest;
import org.apache.hc.core5.http.message.BasicHttpResponse;
import org.apache.hc.core5.http.protocol.HttpCoreContext;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConnectionPersistenceTest {

    /**
     * One answer to one request: what {@code Connection} header the client is sent ("-" for none) and whether the
     * connection is kept. Request and answer headers are "Name: value" lists split by "|".
     */
    @ParameterizedTest(name = "{0} {1} [{2}] -> {3} [{4}]: Connection {6}, kept {7}")
    @CsvSource(delimiter = ';', value = {
        "HTTP/1.1; GET;  -;                           200; Content-Length: 2;          2;  -;          true",
        "HTTP/1.1; GET;  Connection: close;           200; Content-Length: 2;          2;  close;      false",
        "HTTP/1.1; GET;  Connection: Keep-Alive, TE;  200; Content-Length: 2;          2;  keep-alive; true",
        "HTTP/1.0; GET;  -;                           200; Content-Length: 2;          2;  close;      false",
        "HTTP/1.0; GET;  Connection: keep-alive;      200; Content-Length: 2;          2;  keep-alive; true",
        "HTTP/1.0; GET;  Connection: keep-alive;      200; -;                          -1; close;      false",
        "HTTP/1.1; GET;  -;                           400; Connection: keep-alive|Content-Length: 2; 2; close; false",
        "HTTP/1.1; POST; -;                           413; Content-Length: 2;          2;  close;      false",
        "HTTP/1.1; GET;  -;                           200; Upgrade: websocket;         0;  upgrade;    false",
        "HTTP/1.1; GET;  -;                           200; -;                          -1; -;          false",
        "HTTP/1.1; GET;  -;                           200; Transfer-Encoding: chunked; -1; -;          true",
        "HTTP/1.1; HEAD; -;                           200; -;                          0;  -;          true",
        "HTTP/1.1; GET;  -;                           204; -;                          0;  -;          true",
        "HTTP/1.1; GET;  -;                           304; -;                          0;  -;          true",
        "HTTP/1.1; GET;  -;                           200; Connection: close|Content-Length: 2; 2; close; false",
        "HTTP/1.1; POST; Content-Length: 2|Transfer-Encoding: chunked; 200; Content-Length: 2; 2; -; false",
    })
    void theAnswerSaysWhatHappensToTheConnection(String version, String method, String requestHeaders, int status,
            String responseHeaders, long bodyLength, String connection, boolean kept) throws Exception {
        BasicHttpRequest request = new BasicHttpRequest(method, "/api/v2/ping/");
        request.setVersion(version.equals("HTTP/1.0") ? HttpVersion.HTTP_1_0 : HttpVersion.HTTP_1_1);
        add(request, requestHeaders);
        HttpResponse response = new BasicHttpResponse(status);
        add(response, responseHeaders);
        HttpCoreContext context = HttpCoreContext.create();
        context.setRequest(request);
        context.setProtocolVersion(request.getVersion());
        boolean bodiless = status == 204 || status == 304 || method.equals("HEAD");
        EntityDetails entity = bodiless ? null : new BasicEntityDetails(bodyLength, null);

        ConnectionPersistence.RESPONSE.process(response, entity, context);

        Header said = response.getFirstHeader("Connection");
        assertThat(said == null ? "-" : said.getValue()).isEqualTo(connection);
        assertThat(response.getHeaders("Connection")).hasSizeLessThanOrEqualTo(1);
        assertThat(ConnectionPersistence.REUSE.keepAlive(request, response, context)).isEqualTo(kept);
    }

    private static void add(org.apache.hc.core5.http.HttpMessage message, String headers) {
        if (headers.equals("-")) {
            return;
        }
        for (String h : headers.split("\\|")) {
            String[] nv = h.split(":", 2);
            message.addHeader(nv[0].trim(), nv[1].trim());
        }
    }
}
