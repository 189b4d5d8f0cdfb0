package io.towerrelay.mock;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TowerHttpApiTest {

    @ParameterizedTest(name = "Origin {0} vs Host {1} -> {2}")
    @CsvSource({
        "https://tower.example.com, tower.example.com, true",
        "https://tower.example.com, tower.example.com:443, true",
        "http://tower.example.com:8080, tower.example.com:8080, true",
        "http://TOWER.example.com, tower.example.com, true",
        "https://tower.example.com, 127.0.0.1:8052, false",
        "https://tower.example.com:8443, tower.example.com, false",
        "http://[::1]:8080, [::1]:8080, true",
        "null, tower.example.com, false",
    })
    void originMatchesHostLikeDjango(String origin, String host, boolean same) {
        assertThat(TowerHttpApi.sameHost(origin, host)).isEqualTo(same);
    }
}
