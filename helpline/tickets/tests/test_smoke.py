from helpline.tickets import services


def test_customer_ticket_is_routed_to_an_available_level_one_agent(desk):
    ticket = desk.ticket()
    assert ticket.assignee == desk.l1
    assert ticket.status == "new"
    assert ticket.number >= services.FIRST_TICKET_NUMBER
