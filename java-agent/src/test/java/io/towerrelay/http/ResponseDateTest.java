package io.towerrelay.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import org.apache.hc.core5.http.HttpHeaders;
import org.apache.hc.core5.http.message.BasicHttpResponse;
import org.apache.hc.core5.http.protocol.HttpCoreContext;
import org.junit.jupiter.api.Test;

class ResponseDateTest {

    @Test
    void formatsImfFixdateInGmt() {
        assertThat(ResponseDate.format(784111777L)).isEqualTo("Sun, 06 Nov 1994 08:49:37 GMT"); // RFC 9110's example
        assertThat(ResponseDate.format(0L)).isEqualTo("Thu, 01 Jan 1970 00:00:00 GMT");
    }

    @Test
    void addsTheCurrentDateToAnAnswerWithout() throws Exception {
        BasicHttpResponse answer = new BasicHttpResponse(200);
        long before = System.currentTimeMillis() / 1000;
        ResponseDate.RESPONSE.process(answer, null, HttpCoreContext.create());
        long after = System.currentTimeMillis() / 1000;
        long stamped = ZonedDateTime.parse(answer.getFirstHeader(HttpHeaders.DATE).getValue(),
                DateTimeFormatter.RFC_1123_DATE_TIME).toEpochSecond();
        assertThat(stamped).isBetween(before, after);
        assertThat(answer.countHeaders(HttpHeaders.DATE)).isEqualTo(1);
    }

    @Test
    void keepsTheUpstreamsDate() throws Exception {
        BasicHttpResponse answer = new BasicHttpResponse(200);
        answer.setHeader(HttpHeaders.DATE, "Sun, 06 Nov 1994 08:49:37 GMT");
        ResponseDate.RESPONSE.process(answer, null, HttpCoreContext.create());
        assertThat(answer.getHeaders(HttpHeaders.DATE)).extracting(h -> h.getValue())
                .containsExactly("Sun, 06 Nov 1994 08:49:37 GMT");
    }
}
