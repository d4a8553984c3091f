package dev.specserve.runtime.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class DraftVocabularyTest {

    @Test
    void draftIdsMapToTargetTokensAndBack() {
        DraftVocabulary v = DraftVocabulary.fromJson(List.of(7, 0, 3), 10);

        assertThat(v.size()).isEqualTo(3);
        assertThat(v.toTarget(0)).isEqualTo(7);
        assertThat(v.toDraft(7)).isZero();
        assertThat(v.toDraft(3)).isEqualTo(2);
        assertThat(v.isIdentity()).isFalse();
    }

    @Test
    void targetTokensOutsideTheDraftVocabularyHaveNoDraftId() {
        DraftVocabulary v = DraftVocabulary.fromJson(List.of(7, 0, 3), 10);

        assertThat(v.toDraft(5)).isEqualTo(-1);
        assertThat(v.toDraft(-1)).isEqualTo(-1);
        assertThat(v.toDraft(10)).isEqualTo(-1);
    }

    @Test
    void aDraftIdBeyondTheMapIsNamedNotAnIndexError() {
        DraftVocabulary v = DraftVocabulary.fromJson(List.of(7, 0, 3), 10);

        assertThatThrownBy(() -> v.toTarget(3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("draft id 3, outside its 3-token draft vocabulary");
    }

    @Test
    void aManifestWithoutAMapDraftsFromTheWholeVocabulary() {
        DraftVocabulary v = DraftVocabulary.fromJson(null, 6);

        assertThat(v.isIdentity()).isTrue();
        assertThat(v.size()).isEqualTo(6);
        assertThat(v.toTarget(4)).isEqualTo(4);
        assertThat(v.toDraft(4)).isEqualTo(4);
    }

    @Test
    void aTokenOutsideTheTargetVocabularyIsNamed() {
        assertThatThrownBy(() -> DraftVocabulary.fromJson(List.of(1, 12), 10))
                .isInstanceOf(ManifestException.class)
                .hasMessageContaining("draft_to_target[1] = 12 is outside the target vocabulary");
    }

    @Test
    void aTokenMappedTwiceIsNamed() {
        assertThatThrownBy(() -> DraftVocabulary.fromJson(List.of(4, 2, 4), 10))
                .isInstanceOf(ManifestException.class)
                .hasMessageContaining("maps target token 4 twice");
    }

    @Test
    void aMapThatIsNotAListOfIntegersIsNamed() {
        assertThatThrownBy(() -> DraftVocabulary.fromJson("0-511", 10))
                .hasMessageContaining("'drafter.draft_to_target' must be a list of token ids");
        assertThatThrownBy(() -> DraftVocabulary.fromJson(List.of(1, "two"), 10))
                .hasMessageContaining("draft_to_target[1] must be an integer");
        assertThatThrownBy(() -> DraftVocabulary.fromJson(List.of(), 10))
                .hasMessageContaining("draft_to_target is empty");
    }
}
