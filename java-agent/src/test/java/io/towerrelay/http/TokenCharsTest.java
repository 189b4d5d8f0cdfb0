package io.towerrelay.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TokenCharsTest {

    @Test
    void acceptsLettersDigitsAndTheNonDelimiterMarks() {
        for (char c : "AZaz09!#$%&'*+-.^_`|~".toCharArray()) {
            assertThat(TokenChars.is(c)).as("%s", c).isTrue();
            assertThat(TokenChars.is((byte) c)).as("byte %s", c).isTrue();
        }
    }

    @Test
    void refusesDelimitersSpaceControlsAndNonAscii() {
        for (char c : "\"(),/:;<=>?@[\\]{} \t\r\n\0\u007f".toCharArray()) {
            assertThat(TokenChars.is(c)).as("0x%02x", (int) c).isFalse();
        }
        assertThat(TokenChars.is((byte) 0x80)).isFalse(); // negative as a byte
        assertThat(TokenChars.is((byte) 0xff)).isFalse();
        assertThat(TokenChars.is('\u00e9')).isFalse();
        assertThat(TokenChars.is('\u0141')).isFalse();
    }

    @Test
    void aTokenIsOneOrMoreTokenCharacters() {
        assertThat(TokenChars.isToken("X-Forwarded-For")).isTrue();
        assertThat(TokenChars.isToken("GET")).isTrue();
        assertThat(TokenChars.isToken("")).isFalse();
        assertThat(TokenChars.isToken(null)).isFalse();
        assertThat(TokenChars.isToken("G(T")).isFalse();
        assertThat(TokenChars.isToken("Transfer-Encoding ")).isFalse();
    }
}
