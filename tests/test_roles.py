"""People asked about by their role ("the NUPI researcher") are searched by the name the articles give."""
import pytest

from assistant import Assistant
from assistant.answer import roles

# Sentences as the articles print them: the two seeds and Reuters stories of bench/data/reuters.
GODZIMIRSKI = "NUPI researcher and Russia expert Jakub Godzimirksi believes that it is obvious that Lukashenko is now under more pressure."
HANSEN = "Hansen is an adviser to the Norwegian Helsinki Committee, and has done research on Belarus, Russia and Ukraine."
LUCKY = '"They should be cutting a lot more than they are," Shearson Lehman analyst Michael Lucky said.'
SUMMIT = "On Friday, Belarusian President Aleksandr Lukashenko will meet Russian President Vladimir Putin, according to Belta."
STRONG = ('"We have talked to a number of our major suppliers," Imperial\'s manager of western crude supply '
          'Gary Strong said.')
ESCAPE = "As the intelligence expert sees it, Belarus is a much more logical escape route for the four men."


@pytest.mark.parametrize("question, text, name", [
    ("Where does the NUPI researcher work?", GODZIMIRSKI, "Jakub Godzimirksi"),  # a place between role and name
    ("How does the NUPI expert see it?", GODZIMIRSKI, "Jakub Godzimirksi"),
    ("Does the Helsinki Committee adviser expect results?", HANSEN, "Hansen"),  # the name before, the qualifier after
    ("What does the Shearson analyst say?", LUCKY, "Michael Lucky"),
    ("What will the Belarusian president do?", SUMMIT, "Aleksandr Lukashenko"),
    ("What will the Russian president do?", SUMMIT, "Vladimir Putin"),  # the qualifier of the other president
    ("What does Imperial's crude supply manager say?", STRONG, "Gary Strong"),  # an owner's name qualifies too
    ("What will the Belarusian President do?", SUMMIT, "Aleksandr Lukashenko"),
])
def test_the_holder_of_a_role_is_the_name_beside_it(question, text, name):
    role = roles.asked_roles(question)[0]
    end = role[0]  # the name goes right after the role it names
    assert roles.with_holders(question, [text]) == f"{question[:end]} {name}{question[end:]}"


@pytest.mark.parametrize("question, texts", [
    ("What does the intelligence expert think?", [ESCAPE]),  # a role with no name beside it
    ("What does the researcher think?", [GODZIMIRSKI]),  # no qualifier: any researcher
    ("What will the Finnish president do?", [SUMMIT]),  # no such holder
    ("What does the NUPI researcher Godzimirksi say?", [GODZIMIRSKI]),  # named already
    ("Who is Conrac's chief executive?", [LUCKY, SUMMIT]),  # the passages name no one for it
])
def test_no_name_is_guessed(question, texts):
    assert roles.with_holders(question, texts) == question


def test_two_roles_in_one_question_both_get_their_names():
    question = "How does the NUPI expert describe the Belarusian president?"
    assert roles.with_holders(question, [GODZIMIRSKI, SUMMIT]) == (
        "How does the NUPI expert Jakub Godzimirksi describe the Belarusian president Aleksandr Lukashenko?")


def test_a_question_by_role_is_answered_from_that_persons_passage(seed_index):
    answer = Assistant(seed_index).ask("Does the Helsinki Committee adviser expect anything concrete from the meeting?")
    assert answer.rewritten and "Hansen" in answer.query
    assert not answer.abstained
    assert any("Hansen" in c.hit.text and "Helsinki Committee" in c.hit.text for c in answer.citations)


def test_a_surname_asked_about_alone_gets_the_first_name_the_articles_give():
    texts = ["On Friday, Belarusian President Aleksandr Lukashenko will meet Russian President Vladimir Putin.",
             "However, Putin said nothing. President Putin left."]  # "However", a role: no first names
    assert roles.with_first_name("Who is Putin?", "Putin", texts) == "Who is Vladimir Putin?"
    assert roles.with_first_name("Who is Hansen?", "Hansen", texts) == "Who is Hansen?"


def test_who_is_a_surname_states_the_role_the_articles_give(seed_index):
    answer = Assistant(seed_index).ask("Who is Putin?")
    assert answer.query == "Who is Vladimir Putin?"
    assert "Russian President Vladimir Putin" in answer.text.split("[1]")[0], answer.text
