def test_the_same_address_given_twice_makes_one_address(db):
    from answerable.customers.services import create_customer

    customer = create_customer(name="Ana", emails=["ana@acme.example", "ANA@acme.example "])
    assert list(customer.emails.values_list("address", flat=True)) == ["ana@acme.example"]
