"""H4: one secret filter for every free text the bot reads.

A password or resident number typed outside the password step (free text, a question inside a
flow, text after a timeout, an upload's caption) is deleted from the chat, never stored (not
faq_queries, not /unanswered, not user_data, not the log) and the user is told why; real
questions, digits and all, still reach the FAQ.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.flows.secrets import looks_like_secret
from tests.conftest import PASSWORD, cert
from tests.support import plain, rendered, says, upload_pair

PASSWORD_LIKE = [
    "홍길동/kb2024!",
    "my pw 1234!",
    "abcd1234",
    "qwer123!",
    "Kb-test-pw!2026",
    "pass1234",
    "hello2024",
    "Abc!2345",
    "1q2w3e4r!",
    "1q2w3e4r",
    "zxcv0987",
    "kb2024!!",
    "P@ssw0rd",
    "password123!",
    "비번은 abc123! 이에요",
    "제 비밀번호 qwer1234 인데 틀렸대요",
    "비밀번호: Hong1234!",
    "pw=kb2024",
    "my password is hunter22",
    "800101-1234567",
    "8001011234567",
    "주민번호 800101-1234567 이에요",
    "제 주민등록번호는 8001011234567 입니다",
    "800101 - 1234567",
    "123-45-67890",
    "홍길동1234!",
    "사랑해1004",
    "ghdrlfehd12",
    "Sunny!Day",
    "!Q@W#E$R",
    "asdf!@#$",
    "dlatl0000!",
    "1234!@#$",
    "000000",
    "12345678",
    "kb국민/2024!!",
    "홍길동 kb2024! 로 했어요",
    "pin 4321",
    "The password is Abc12345",
    "비밀번호 1234",
    "Tiger#88",
    "my pw is 9876",
    "cert pw: dkssud123",
    "김철수!2024",
    "Q1w2e3r4t5",
    "비번 hong!!88",
    "인증서 암호는 Seoul2024# 입니다",
    "비밀번호는 1q2w3e4r 예요",
]

QUESTIONS = [
    "인증서 2개 등록 되나요?",
    "5번 틀렸어요",
    "비밀번호를 5번 틀렸어요 어떻게 하나요?",
    "비밀번호 5회 틀리면 잠기나요?",
    "비밀번호 10자리 이상이어야 하나요?",
    "비밀번호 2024년에 바꿨는데 안돼요",
    "비밀번호를 3번이나 틀렸어요ㅠㅠ",
    "비밀번호 변경은 어떻게 하나요?",
    "인증서 비밀번호를 잊어버렸어요",
    "signPri.key 파일이 어디 있어요?",
    "signCert.der 랑 signPri.key 둘 다 올려야 하나요?",
    r"C:\Users\hong\AppData\LocalLow\NPKI 폴더에 있어요",
    "인증서가 2024.12.31 에 만료돼요",
    "만료일이 2025-03-01 인데 갱신해야 하나요?",
    "오후 3:30 에 등록했는데 안 보여요",
    "고객센터 1588-1234 맞나요?",
    "오류코드 -1004 가 떠요",
    "에러 2001 이 나와요",
    "윈도우10에서 인증서를 못 찾아요",
    "windows10 에서 안돼요",
    "아이폰15 에서도 되나요?",
    "pfx 파일 크기가 10MB 넘으면 안 되나요?",
    "KB국민은행 인증서도 되나요?",
    "인증서 3개 중에 1개만 해제하고 싶어요",
    "D-7 알림이 왔어요",
    "인증서 만료 D-30 인데 갱신해야 하나요?",
    "2시간 전에 올렸는데 아직이에요",
    "v2.3.1 버전에서 오류가 나요",
    "10:30 am에 등록했어요",
    "pkcs12 파일도 되나요?",
    '"npki.zip"으로 올려도 되나요?',
    "SHA-256 인증서인가요?",
    "Android/iOS 둘 다 되나요?",
    "COVID-19 때문에 갱신을 못 했어요",
    "다음주 월요일 9시에 전화 주세요",
    "How do I register 2 certificates?",
    "I entered the wrong password 5 times",
    "Is my password stored anywhere?",
    "Is the password 10 characters long?",
    "password must be 10 chars?",
    "What does error 1004 mean?",
    "My certificate expires on 2024-12-31",
    "Can I upload a .pfx file?",
    "Where is signPri.key on Windows 11?",
    "Please call me at 010-1234-5678",
    "Does it work on iOS 17?",
    "my email is hong.gildong@example.com",
    "see https://www.kbstar.com/quics?page=C012345 for details",
    "What is SHA256 used for?",
    "I got 3 reminders today",
    "Thanks!!",
    "1588-1234",
]


def test_the_filter_catches_passwords_and_lets_questions_pass() -> None:
    assert len(PASSWORD_LIKE) >= 40 and len(QUESTIONS) >= 40
    assert [text for text in PASSWORD_LIKE if not looks_like_secret(text)] == []
    assert [text for text in QUESTIONS if looks_like_secret(text)] == []


def stored_anywhere(bot: Any, log_file: Path, needle: str) -> list[str]:
    """Where `needle` rests: the SQLite file, its -wal (PTB persistence included) and the log."""
    database = Path(bot.settings.database_path)
    places = {p.name: p.read_bytes() for p in database.parent.glob(database.name + "*")}
    places["log"] = log_file.read_bytes()
    return [name for name, blob in places.items() if needle.encode() in blob]


def deleted_and_told(user: Any, replies: Any, text: str, key: str) -> None:
    sent = [m for m in user.user_messages if m.text == text]
    assert sent and all(m.deleted for m in sent), text
    assert says(replies, key)


async def test_secrets_typed_outside_the_password_step_are_deleted_never_kept(
    bot_factory: Any, log_file: Path
) -> None:
    bot = await bot_factory(admin_user_ids=frozenset({7401}))
    now = [bot.services.clock.epoch()]
    bot.services.clock.source = lambda: now[0]
    user, operator = bot.user(7402), bot.user(7401)
    secrets: list[str] = []

    async def typed(text: str) -> None:
        secrets.append(text)
        deleted_and_told(user, await user.ask(text), text, "common.secret_deleted")

    # outside any flow: Hangul and a slash, spaces, 8 characters, resident numbers both ways
    await typed("홍길동/kb2024!")
    await typed("my pw 1234!")
    await typed("abcd1234")
    await typed("8001011234567")
    await typed("주민번호 800101-1234567 이에요")
    # a question inside the register flow
    await user.ask("/register")
    await typed("hello2024")
    # the caption of the signPri.key upload: deleted, the file not read
    gen = cert()
    await user.upload(gen.cert_der, "signCert.der")
    caption = "비번은 caption99! 이에요"
    secrets.append(caption)
    replies = await user.upload(gen.key_blob, "signPri.key", caption=caption)
    deleted_and_told(user, replies, caption, "common.caption_secret_deleted")
    assert rendered("register.got_file", name="signPri.key") not in plain(replies)
    # the file without the caption is read as usual
    replies = await user.upload(gen.key_blob, "signPri.key")
    assert says(replies, "register.ask_password")
    # a late password after the conversation went stale (its timeout job died in a restart)
    now[0] += 3600
    late = "Late-pw!2026"
    secrets.append(late)
    replies = await user.ask(late)
    deleted_and_told(user, replies, late, "common.secret_deleted")
    assert says(replies, "register.stale_session")
    # a caption outside any flow
    outside = "pw: outside4321"
    secrets.append(outside)
    replies = await user.upload(gen.cert_der, "signCert.der", caption=outside)
    deleted_and_told(user, replies, outside, "common.caption_secret_deleted")

    # a real question still reaches the FAQ, and its fallback is kept for the operators
    question = "주차장 2층 요금이 얼마예요?"
    await user.ask(question)
    replies = await operator.ask("/unanswered")
    shown = "\n".join(m.plain for m in replies)
    assert question in shown
    assert not [s for s in secrets if s in shown]

    await bot.stop()  # flush persistence: the -wal and the ptb rows are searched too
    assert stored_anywhere(bot, log_file, question), "the search itself must find a question"
    for secret in [*secrets, PASSWORD]:
        assert stored_anywhere(bot, log_file, secret) == [], secret


async def test_a_late_password_after_the_conversation_timeout(
    bot_factory: Any, log_file: Path
) -> None:
    bot = await bot_factory(conversation_timeout_seconds=1)
    user = bot.user(7403)
    await user.ask("/register")
    await upload_pair(user, cert())
    timeout = rendered("register.timeout")
    await user.wait_until(lambda: user.last.plain == timeout)  # the timeout job's message
    late = "홍길동/late2024!"
    replies = await user.ask(late)
    deleted_and_told(user, replies, late, "common.secret_deleted")
    await bot.stop()
    assert stored_anywhere(bot, log_file, late) == []
