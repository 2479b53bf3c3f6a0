from tests.conftest import login


def test_teacher_sees_pupil_page(client, teacher, pupil):
    login(client, teacher)
    response = client.get(f"/pupils/{pupil.public_id}/")
    assert response.status_code == 200
    assert pupil.last_name in response.content.decode()
