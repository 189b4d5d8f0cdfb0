package io.towerrelay.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.apache.hc.core5.http.HttpHeaders;
import org.junit.jupiter.api.Test;

class FieldNamesTest {

    @Test
    void aListedNameIsTheConstantItself() {
        assertThat(of("xxContent-Lengthxx", 2, 14)).isSameAs(HttpHeaders.CONTENT_LENGTH);
        assertThat(of("Host", 0, 4)).isSameAs(HttpHeaders.HOST);
        assertThat(of("GET /", 0, 3)).isSameAs("GET");
    }

    @Test
    void anyOtherSpellingIsKeptAsItCame() {
        for (String name : new String[] {"HOST", "hOst", "Content-Lengtx", "X-Custom", "", "Host2", "Ho"}) {
            String parsed = of(name, 0, name.length());
            assertThat(parsed).isEqualTo(name);
        }
        byte[] latin1 = {'X', '-', (byte) 0xe9};
        assertThat(FieldNames.of(latin1, 0, 3)).isEqualTo("X-\u00e9");
        String longName = "X-" + "a".repeat(100);
        assertThat(of(longName, 0, longName.length())).isEqualTo(longName);
    }

    private static String of(String text, int start, int length) {
        return FieldNames.of(text.getBytes(StandardCharsets.ISO_8859_1), start, length);
    }
}
