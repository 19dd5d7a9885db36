"""The demo's content: Northwind Bakery, a bakery with an online shop, its desk and its customers.

Only data lives here; `management/commands/demo.py` turns it into teams, agents and tickets through the
services. Ticket texts are `str.format` templates; the keys they may use are listed in PLACEHOLDERS.
"""

from dataclasses import dataclass

from answerable.tickets.models import Priority, Status

COMPANY = "Northwind Bakery"
DEMO_PASSWORD = "demo"  # noqa: S105 - deliberately weak: demo data is for the user's own machine only

WEEKDAYS_9_TO_5 = {day: [["09:00", "17:30"]] for day in ("mon", "tue", "wed", "thu", "fri")}


@dataclass(frozen=True)
class TeamSpec:
    name: str
    address: str
    time_zone: str
    holiday_country: str
    week_schedule: dict


TEAMS = [
    TeamSpec(
        name="Support",
        address="support@northwind.localhost",
        time_zone="Europe/Berlin",
        holiday_country="DE",
        week_schedule={
            **{day: [["08:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
            "sat": [["09:00", "13:00"]],
        },
    ),
    TeamSpec(
        name="Billing",
        address="billing@northwind.localhost",
        time_zone="Europe/London",
        holiday_country="GB",
        week_schedule=WEEKDAYS_9_TO_5,
    ),
    TeamSpec(
        name="Orders",
        address="orders@northwind.localhost",
        time_zone="Europe/Berlin",
        holiday_country="DE",
        # The bakery starts early; the orders desk takes a lunch break.
        week_schedule={
            **{day: [["07:00", "12:00"], ["13:00", "16:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
            "sat": [["07:00", "11:00"]],
        },
    ),
]


@dataclass(frozen=True)
class AgentSpec:
    username: str
    first_name: str
    last_name: str
    role: str  # Agent.Role value
    teams: tuple[str, ...]
    time_zone: str


AGENTS = [
    AgentSpec("admin", "Clara", "Brandt", "admin", ("Support", "Billing", "Orders"), "Europe/Berlin"),
    AgentSpec("sam", "Sam", "Whitaker", "supervisor", ("Support", "Billing", "Orders"), "Europe/London"),
    AgentSpec("maya", "Maya", "Schulz", "agent", ("Support", "Orders"), "Europe/Berlin"),
    AgentSpec("tom", "Tom", "Price", "agent", ("Billing",), "Europe/London"),
    AgentSpec("lena", "Lena", "Vogel", "agent", ("Support", "Billing"), "Europe/Berlin"),
    AgentSpec("jonas", "Jonas", "Albrecht", "agent", ("Orders",), "Europe/Berlin"),
]


@dataclass(frozen=True)
class OrganisationSpec:
    name: str
    domain: str
    yearly_value: int
    notes: str = ""
    # (TermsFlag kind, reason): set through customers.services.set_terms_flag.
    flag: tuple[str, str] | None = None


ORGANISATIONS = [
    OrganisationSpec(
        "Hotel Seeblick", "seeblick-hotel.example", 42_000,
        "Breakfast bread daily, delivered by 06:30. Contact the duty manager for same-day changes.",
    ),
    OrganisationSpec("Café Lindenblatt", "lindenblatt.example", 18_400, "Standing order Tue-Sat."),
    OrganisationSpec(
        "Greenleaf Catering Ltd", "greenleaf-catering.example", 27_500,
        "Event catering; large one-off orders at short notice.",
        flag=(
            "prepayment_required",
            "Two invoices paid over 60 days late in Q4. New orders only after payment until the account "
            "has been settled for three months (agreed with their finance director).",
        ),
    ),
    OrganisationSpec("Brightside Events", "brightside-events.example", 9_600),
    OrganisationSpec("Kontor 21 Coworking", "kontor21.example", 6_200, "Friday breakfast for members."),
    OrganisationSpec("St. Mary's Primary School", "stmarys-school.example", 3_100),
    OrganisationSpec(
        "Harbour Lane Deli", "harbourlane.example", 12_800,
        flag=(
            "credit_hold",
            "Direct debit returned twice in a row. No new orders on account until Billing confirms the "
            "arrears are paid.",
        ),
    ),
    OrganisationSpec(
        "Meadow & Co. Weddings", "meadowandco.example", 15_000, "Wedding planner; refers couples to us."
    ),
]  # fmt: skip


@dataclass(frozen=True)
class CustomerSpec:
    name: str
    organisation: str | None = None  # an ORGANISATIONS name
    extra_email: str | None = None  # a second address, e.g. a private one


CUSTOMERS = [
    CustomerSpec("Anna Köhler"),
    CustomerSpec("James Whitfield"),
    CustomerSpec("Priya Natarajan"),
    CustomerSpec("Lukas Brenner"),
    CustomerSpec("Sophie Martin"),
    CustomerSpec("Oliver Grant"),
    CustomerSpec("Zoë Fischer"),
    CustomerSpec("Mehmet Demir"),
    CustomerSpec("Emily Carter"),
    CustomerSpec("Jonas Weber"),
    CustomerSpec("Charlotte Dubois"),
    CustomerSpec("Daniel Okonkwo"),
    CustomerSpec("Hannah Schmidt"),
    CustomerSpec("Tomasz Nowak"),
    CustomerSpec("Grace O'Connor"),
    CustomerSpec("Felix Hartmann"),
    CustomerSpec("Aisha Rahman"),
    CustomerSpec("Marco Rossi"),
    CustomerSpec("Ingrid Larsen"),
    CustomerSpec("Ben Thompson"),
    CustomerSpec("Julia Neumann"),
    CustomerSpec("Ravi Patel"),
    CustomerSpec("Elena Popescu"),
    CustomerSpec("Noah Becker"),
    CustomerSpec("Mia Wagner", extra_email="mia.w@mailbox.example"),
    CustomerSpec("Chloe Evans"),
    CustomerSpec("Katrin Wolf", "Hotel Seeblick"),
    CustomerSpec("Stefan Maurer", "Hotel Seeblick"),
    CustomerSpec("Lina Hoffmann", "Café Lindenblatt"),
    CustomerSpec("Paul Richter", "Café Lindenblatt", extra_email="paul.richter@post.example"),
    CustomerSpec("Rebecca Hughes", "Greenleaf Catering Ltd"),
    CustomerSpec("Gareth Jones", "Greenleaf Catering Ltd"),
    CustomerSpec("Nadia Benali", "Brightside Events"),
    CustomerSpec("Tim Schäfer", "Kontor 21 Coworking"),
    CustomerSpec("Sarah Mitchell", "St. Mary's Primary School"),
    CustomerSpec("Danny Walsh", "Harbour Lane Deli"),
    CustomerSpec("Fiona Walsh", "Harbour Lane Deli"),
    CustomerSpec("Laura Bianchi", "Meadow & Co. Weddings"),
    CustomerSpec("Victoria Reid", "Meadow & Co. Weddings"),
    CustomerSpec("Henrik Olsen", "Kontor 21 Coworking"),
]

PRIVATE_MAIL_DOMAINS = ["post.example", "mailbox.example", "inbox.example", "webmail.example"]


@dataclass(frozen=True)
class MacroSpec:
    name: str
    body: str
    team: str | None = None  # None: every team


MACROS = [
    MacroSpec(
        "Solved - thanks for confirming",
        "Hi {{ customer.first_name }},\n\nThanks for letting us know - glad that's sorted. I'll close "
        "{{ ticket.reference }} now; if anything else comes up, just reply to this email and it reopens.\n\n"
        "Best wishes,\n{{ agent.name }}\nNorthwind Bakery",
    ),
    MacroSpec(
        "Ask for the order number",
        "Hi {{ customer.first_name }},\n\nThanks for getting in touch. So I can look into this, could you "
        "send me your order number? It starts with NW- and is in the subject of your order confirmation."
        "\n\nBest wishes,\n{{ agent.name }}\nNorthwind Bakery",
    ),
    MacroSpec(
        "Delivery delayed - apology",
        "Hi {{ customer.first_name }},\n\nI'm sorry your order is late. I've asked the courier to trace "
        "the parcel and will write again as soon as I hear back - at the latest by tomorrow evening. Your "
        "reference is {{ ticket.reference }}.\n\nBest wishes,\n{{ agent.name }}\nNorthwind Bakery Orders",
        team="Orders",
    ),
    MacroSpec(
        "Custom cake - next steps",
        "Hi {{ customer.first_name }},\n\nThank you for thinking of us for your cake! To prepare a quote we "
        "need: the date and delivery address, the number of guests, flavours you like, and any allergies "
        "or dietary needs. A photo of a design you like helps too.\n\nBest wishes,\n{{ agent.name }}",
        team="Orders",
    ),
    MacroSpec(
        "Invoice copy",
        "Hi {{ customer.first_name }},\n\nYou'll find a copy of the invoice in your account under Orders > "
        "Invoices; I've also re-sent it to this address. Let me know if your accounts team needs "
        "anything else.\n\nKind regards,\n{{ agent.name }}\nNorthwind Bakery Billing",
        team="Billing",
    ),
    MacroSpec(
        "Refund issued",
        "Hi {{ customer.first_name }},\n\nI've issued the refund to your original payment method. Banks "
        "usually show it within 3-5 working days.\n\nKind regards,\n{{ agent.name }}\nNorthwind Bakery "
        "Billing",
        team="Billing",
    ),
    MacroSpec(
        "Allergen information",
        "Hi {{ customer.first_name }},\n\nThe full allergen list for every product is on its page in the "
        "shop under 'Ingredients & allergens'. Please note that everything is baked in one kitchen that "
        "also handles nuts, sesame, eggs, milk and gluten, so we can't rule out traces.\n\n"
        "Best wishes,\n{{ agent.name }}\nNorthwind Bakery",
        team="Support",
    ),
    MacroSpec(
        "Password reset steps",
        "Hi {{ customer.first_name }},\n\nPlease use 'Forgot password?' on the sign-in page and enter the "
        "address you registered with. The link is valid for one hour; if nothing arrives within ten "
        "minutes, check your spam folder and let me know.\n\nBest wishes,\n{{ agent.name }}",
        team="Support",
    ),
]


# --- Ticket scenarios -----------------------------------------------------------------------------------

CUSTOMER, REPLY, NOTE, STATUS, PRIORITY = "customer", "reply", "note", "status", "priority"


@dataclass(frozen=True)
class Step:
    kind: str  # CUSTOMER, REPLY, NOTE, STATUS or PRIORITY
    text: str = ""
    status: str | None = None  # REPLY: the status after sending; STATUS: the new status
    priority: int | None = None
    by: str = "assignee"  # NOTE author: "assignee", "supervisor" or "colleague"
    macro: str | None = None  # REPLY: render this macro (MACROS name) instead of `text`
    gap: tuple[float, float] | None = None  # minutes after the previous step (default by kind)


def customer(text: str, gap: tuple[float, float] | None = None) -> Step:
    return Step(CUSTOMER, text, gap=gap)


def reply(
    text: str = "", then: str | None = None, macro: str | None = None, gap: tuple[float, float] | None = None
) -> Step:
    return Step(REPLY, text, status=then, macro=macro, gap=gap)


def note(text: str, by: str = "assignee", gap: tuple[float, float] | None = None) -> Step:
    return Step(NOTE, text, by=by, gap=gap)


def status(value: str, gap: tuple[float, float] | None = None) -> Step:
    return Step(STATUS, status=value, gap=gap)


def escalate(priority: int) -> Step:
    return Step(PRIORITY, priority=priority)


@dataclass(frozen=True)
class Scenario:
    key: str
    team: str
    subject: str
    steps: tuple[Step, ...]
    tags: tuple[str, ...] = ()
    priority: int = Priority.NORMAL  # set by the first agent who triages the ticket
    # Who writes: "any", "private" (no organisation), "business" (an organisation), or a TermsFlag kind.
    customers: str = "any"
    weight: int = 2  # how common the scenario is
    amount: tuple[int, int] = (20, 90)  # range in euros for the {amount} placeholder


# Keys a text may use, filled per ticket (agent and signature per step).
PLACEHOLDERS = (
    "first", "name", "org", "agent", "team", "order", "order2", "invoice", "amount", "amount2", "product",
    "cake", "date", "day", "courier", "tracking", "last4", "guests", "ticket", "street", "voucher", "qty",
)  # fmt: skip

PRODUCTS = [
    "sourdough subscription box", "cinnamon bun party tray", "Black Forest gateau", "brownie gift tin",
    "seeded rye loaf bundle", "birthday cake box", "croissant brunch box", "Christmas stollen",
    "lemon drizzle cake", "cookie advent box",
]  # fmt: skip
CAKES = ["lemon and elderflower", "chocolate and raspberry", "carrot and walnut", "vanilla and strawberry"]
COURIERS = ["DHL", "DPD", "Hermes"]
STREETS = ["Gartenstraße 12", "Lindenallee 4", "Elm Road 27", "Hauptstraße 88", "Mill Lane 3", "Rosenweg 9"]
SIGNOFFS = ["Best wishes", "Kind regards", "All the best", "Many thanks", "Warm regards"]

SCENARIOS = [
    # --- Orders ---------------------------------------------------------------------------------------
    Scenario(
        "late-delivery", "Orders", "Where is my order {order}?",
        tags=("delivery", "late"), weight=5, steps=(
            customer(
                "Hello,\n\nI ordered the {product} last week (order {order}) and the confirmation said it "
                "would arrive on {day}. It still hasn't come and the tracking page hasn't changed for two "
                "days. It's a birthday present, so I'm getting a bit worried.\n\nThanks,\n{first}"
            ),
            reply(
                "Hi {first},\n\nI'm sorry your parcel is late. I've checked with {courier}: it left our "
                "bakery on time but has been sitting at their depot since {day}. I've opened a trace with "
                "them (tracking {tracking}) and will let you know as soon as they answer.",
                then=Status.ON_HOLD,
            ),
            note("Courier trace opened in the {courier} portal. They promise an answer within 48h."),
            customer(
                "Hi {agent},\n\nany news? The birthday is the day after tomorrow.\n\n{first}",
                gap=(20 * 60, 48 * 60),
            ),
            escalate(Priority.HIGH),
            reply(
                "Hi {first},\n\n{courier} have confirmed the parcel is lost. I've sent a new {product} by "
                "express this morning at our cost - it will be with you tomorrow before 12:00. Sorry again "
                "for the trouble.",
                then=Status.PENDING,
            ),
            customer(
                "It arrived this morning, just in time. Thank you so much!\n\n{first}", gap=(16 * 60, 28 * 60)
            ),
            reply(macro="Solved - thanks for confirming", then=Status.SOLVED),
        ),
    ),
    Scenario(
        "damaged-cake", "Orders", "Cake arrived squashed",
        tags=("delivery", "damaged"), priority=Priority.HIGH, weight=3, amount=(38, 85), steps=(
            customer(
                "Hi,\n\nour {cake} cake (order {order}) arrived today and the whole top is squashed "
                "against the lid of the box. The box itself looks like it was dropped. We have guests "
                "tonight - what can you do?\n\n{name}"
            ),
            reply(
                "Hi {first},\n\nI'm really sorry - that's not how it should arrive. Could you send me a "
                "photo of the cake and of the box? Then I can sort out a refund or a replacement straight "
                "away.",
                then=Status.PENDING,
            ),
            customer("Photos attached. We'd prefer the money back, we bought something locally.\n\n{first}"),
            reply(
                "Thanks {first}, that's clearly transport damage. I've refunded {amount} to your card; "
                "you'll see it within 3-5 working days. I've also reported it to {courier}.",
                then=Status.SOLVED,
            ),
        ),
    ),
    Scenario(
        "change-address", "Orders", "Change delivery address for order {order}",
        tags=("order-change",), weight=3, steps=(
            customer(
                "Hello, I've just noticed I put my old address on order {order}. Could you send it to "
                "{street} instead? Same city. Sorry!\n\n{first}"
            ),
            reply(
                "Hi {first},\n\nno problem - the order hadn't been packed yet, so I've changed the delivery "
                "address to {street}. Everything else stays the same.",
                then=Status.SOLVED,
            ),
            customer("Perfect, thank you!", gap=(10, 240)),
            status(Status.SOLVED),
        ),
    ),
    Scenario(
        "wedding-cake", "Orders", "Wedding cake for {date}",
        tags=("custom-cake", "wedding"), weight=3, amount=(420, 980), steps=(
            customer(
                "Dear Northwind team,\n\nwe're getting married on {date} and would love one of your cakes. "
                "We're thinking three tiers, {cake}, for about {guests} guests. One of our guests is "
                "coeliac - could one tier be gluten-free?\n\nWarm regards,\n{name}"
            ),
            reply(
                "Hi {first},\n\ncongratulations! We'd be delighted. {date} still has space in our "
                "calendar. A gluten-free tier is possible; it is baked separately, but the kitchen handles "
                "wheat, so we can't guarantee it is free of traces. Could you tell me the venue address "
                "and whether you'd like fresh flowers on the cake?",
                then=Status.PENDING,
            ),
            customer(
                "Thank you! The venue is Gut Wiesenhof, {street}. Yes to flowers - white and pale pink if "
                "possible. And we'd need it there by 14:00.",
                gap=(6 * 60, 72 * 60),
            ),
            note("Checked with Ana in the bakery: {date} fine, delivery to the venue 13:00-14:00 possible."),
            reply(
                "Hi {first},\n\nwonderful. The cake comes to {amount} including delivery and set-up at "
                "Gut Wiesenhof. To confirm the date we ask for a 50% deposit - the payment link is in your "
                "account under Orders.",
                then=Status.PENDING,
            ),
            customer("Deposit is paid. We're so excited!\n\n{first}", gap=(12 * 60, 96 * 60)),
            reply(
                "Hi {first},\n\nthe deposit has arrived and {date} is now yours. We'll be in touch a week "
                "before the wedding to confirm the final details.",
                then=Status.SOLVED,
            ),
        ),
    ),
    Scenario(
        "cancel-order", "Orders", "Please cancel order {order}",
        tags=("cancellation",), weight=3, steps=(
            customer(
                "Hi, please cancel my order {order}. I ordered the {product} twice by mistake.\n\n{first}"
            ),
            reply(
                "Hi {first},\n\nI've cancelled {order}; the other order is unchanged. The payment of "
                "{amount} goes back to your card within 3-5 working days.",
                then=Status.SOLVED,
            ),
        ),
    ),
    Scenario(
        "missing-item", "Orders", "Something missing from my order",
        tags=("delivery", "missing-item"), weight=3, steps=(
            customer(
                "Hello,\n\nmy order {order} arrived today, but the {product} is missing. Everything else "
                "was there. The packing slip lists it.\n\nBest,\n{name}"
            ),
            note("Packing station photo for {order} shows only two items - it was never packed."),
            reply(
                "Hi {first},\n\nsorry about that - it was missed when your order was packed. Would you like "
                "us to send it on Monday, or shall I refund the {amount}?",
                then=Status.PENDING,
            ),
            customer("Please send it, thanks. Monday is fine."),
            reply(
                "Done - it's on Monday's delivery round, no charge for shipping. Enjoy!",
                then=Status.SOLVED,
            ),
        ),
    ),
    Scenario(
        "standing-order-change", "Orders", "Change to our standing order from next week",
        tags=("wholesale", "order-change"), customers="business", weight=3, steps=(
            customer(
                "Hi,\n\nfrom next Monday could you reduce our daily croissants from 60 to {qty} and add "
                "two seeded rye loaves? Our breakfast numbers are down over the quiet season.\n\n"
                "Thanks,\n{name}\n{org}"
            ),
            reply(
                "Hi {first},\n\nthat's noted: from Monday {qty} croissants and two seeded rye loaves daily "
                "for {org}. The first invoice with the new quantities will be {invoice}.",
                then=Status.PENDING,
            ),
            customer("Perfect, thank you {agent}.", gap=(30, 600)),
            status(Status.SOLVED),
        ),
    ),
    Scenario(
        "team-breakfast", "Orders", "Catering for a team breakfast on {date}",
        tags=("catering", "wholesale"), customers="business", weight=2, amount=(240, 520), steps=(
            customer(
                "Hello Northwind,\n\nwe'd like breakfast for {guests} people on {date}: pastries, bread, "
                "some fruit. About a third of the team is vegan. Could you send us a suggestion and a "
                "price?\n\n{name}\n{org}"
            ),
            reply(
                "Hi {first},\n\nhappy to! For {guests} people we'd suggest our brunch boxes: mixed "
                "pastries, rye and sourdough, butter and jams, and a vegan box with oat croissants, banana "
                "bread and fruit. All together {amount} plus delivery. Shall I book it?",
                then=Status.PENDING,
            ),
            customer(
                "Sounds great. Can it arrive by 8:15? The meeting starts at 8:30.", gap=(2 * 60, 48 * 60)
            ),
            note("Orders for before 8:30 go on the early van - checked, {date} has room.", by="colleague"),
            reply(
                "Yes - it's booked for {date}, delivery between 7:45 and 8:15. The invoice follows after "
                "the event.",
                then=Status.SOLVED,
            ),
        ),
    ),
    Scenario(
        "third-time", "Orders", "THIRD time writing about order {order}",
        tags=("complaint", "delivery"), priority=Priority.URGENT, weight=3, amount=(45, 120), steps=(
            customer(
                "This is the third time I write about order {order} and NOBODY answers. I paid {amount} "
                "two weeks ago and have received nothing. If I don't hear back today I will dispute the "
                "payment with my bank.\n\n{name}"
            ),
            customer(
                "Hello?? Is anyone there?", gap=(3 * 60, 20 * 60)
            ),
            note(
                "Found two earlier emails from {first} in the spam folder of the old orders@ address. "
                "Please handle today.",
                by="supervisor",
            ),
            reply(
                "Hi {first},\n\nI'm very sorry. Your earlier emails were caught by a spam filter and never "
                "reached us - that's our failure, not yours. Your order was never dispatched: I've "
                "refunded the {amount} in full and added a €15 voucher to your account as an "
                "apology."
            ),
            customer("Thank you. That's all I wanted.\n\n{first}", gap=(60, 24 * 60)),
            status(Status.SOLVED),
        ),
    ),
    Scenario(
        "delivery-time", "Orders", "Can I choose a delivery time?",
        tags=("delivery", "question"), weight=2, steps=(
            customer(
                "Hi there, I want to order a {product} for my mum's birthday. Can I choose a time? She's "
                "only home in the mornings.\n\n{first}"
            ),
            reply(
                "Hi {first},\n\nyes - at checkout choose 'Morning (8-12)' as the delivery window. It's "
                "available Tuesday to Saturday in the city, and for a small surcharge elsewhere.",
                then=Status.SOLVED,
            ),
        ),
    ),
    Scenario(
        "gift-message", "Orders", "Gift message for order {order}",
        tags=("order-change",), weight=2, steps=(
            customer(
                "Hello, I forgot to add a card to order {order}. Could you write 'Happy 40th, love from "
                "all of us' on it? Thank you!\n\n{first}"
            ),
            reply(
                "Hi {first},\n\nof course - the card is written and packed with your order.",
                then=Status.SOLVED,
            ),
        ),
    ),
    Scenario(
        "rude-driver", "Orders", "Complaint about your delivery driver",
        tags=("complaint", "delivery"), weight=1, steps=(
            customer(
                "Hello,\n\nyour driver today left the box on the wet doorstep without ringing and shouted "
                "at my neighbour who asked what he was doing. That's not acceptable.\n\n{name}"
            ),
            note("Delivery on {day} was by the subcontractor van; passed this on to their manager.",
                 by="supervisor"),
            reply(
                "Hi {first},\n\nthank you for telling us, and I'm sorry. That's not how we want our "
                "deliveries to go. I've passed your message to the delivery company's manager, and the "
                "driver won't be on your route again."
            ),
            customer("Thanks for taking it seriously.", gap=(60, 36 * 60)),
            status(Status.SOLVED),
        ),
    ),
    Scenario(
        "bake-sale", "Orders", "Order for the school summer fair",
        tags=("wholesale", "custom-order"), customers="business", weight=1, amount=(310, 480), steps=(
            customer(
                "Dear Northwind Bakery,\n\nfor our summer fair on {date} we'd like 200 cookies and {qty} "
                "cupcakes, individually wrapped, nut-free please. Do you offer a discount for schools?\n\n"
                "Kind regards,\n{name}\n{org}"
            ),
            reply(
                "Hi {first},\n\nhow lovely! We give schools 15% off. Nut-free is possible - baked first "
                "thing on a cleaned line. The total would be {amount}. Shall I confirm it?",
                then=Status.PENDING,
            ),
            customer("Yes please, and could you deliver at 9:00?", gap=(24 * 60, 96 * 60)),
            reply("Confirmed for {date} at 9:00. Enjoy the fair!", then=Status.SOLVED),
        ),
    ),
    # --- Billing --------------------------------------------------------------------------------------
    Scenario(
        "double-charge", "Billing", "Charged twice for order {order}",
        tags=("payment", "double-charge"), priority=Priority.HIGH, weight=5, steps=(
            customer(
                "Hi,\n\nI was charged twice for order {order}: two payments of {amount} on my card ending "
                "{last4}. Please refund one of them.\n\n{name}"
            ),
            reply(
                "Hi {first},\n\nsorry for the worry. I can see one payment for {order}; the second is most "
                "likely a card pre-authorisation, which your bank releases within 5 working days. Could "
                "you check again after that and let me know if it's still there?",
                then=Status.PENDING,
            ),
            customer(
                "It's been a week and both payments are still on my statement.\n\n{first}",
                gap=(5 * 24 * 60, 7 * 24 * 60),
            ),
            note("Payment provider: the second capture is real (a retry after a timeout). Refunding."),
            reply(macro="Refund issued"),
            customer("The money is back. Thanks!", gap=(24 * 60, 72 * 60)),
            status(Status.SOLVED),
        ),
    ),
    Scenario(
        "invoice-copy", "Billing", "Copy of invoice {invoice}",
        tags=("invoice",), customers="business", weight=4, steps=(
            customer(
                "Hello,\n\nour accounts team can't find invoice {invoice}. Could you send us a copy?\n\n"
                "Thank you,\n{name}\n{org}"
            ),
            reply(macro="Invoice copy", then=Status.SOLVED),
        ),
    ),
    Scenario(
        "vat-invoice", "Billing", "Invoice with our VAT number",
        tags=("invoice", "vat"), customers="business", weight=2, steps=(
            customer(
                "Hi,\n\nthe invoice for order {order} is missing our VAT number, so we can't book it. "
                "Could you reissue it?\n\n{name}"
            ),
            reply(
                "Hi {first},\n\nof course. Could you send me the VAT number and the exact company name and "
                "address as they should appear on the invoice?",
                then=Status.PENDING,
            ),
            customer("It's DE 284 913 557, {org}, {street}.", gap=(60, 48 * 60)),
            reply(
                "Thanks {first} - the corrected invoice {invoice} is in your account and on its way by "
                "email. The old one is cancelled.",
                then=Status.SOLVED,
            ),
        ),
    ),
    Scenario(
        "subscription-refund", "Billing", "Refund for my subscription",
        tags=("refund", "subscription"), customers="private", weight=3, amount=(32, 48), steps=(
            customer(
                "Hello,\n\nI cancelled my bread subscription on {day} but was still charged {amount} for "
                "this month. I'd like that refunded please.\n\n{first}"
            ),
            note("Cancellation came in after the billing run on the 1st. Policy: refund unused weeks."),
            reply(
                "Hi {first},\n\nyou're right - your cancellation arrived just after this month's billing "
                "run. I've refunded the three weeks you won't receive: {amount2}. You'll see it on your "
                "statement within 3-5 working days.",
                then=Status.SOLVED,
            ),
            customer("That's fair, thank you.", gap=(30, 24 * 60)),
            status(Status.SOLVED),
        ),
    ),
    Scenario(
        "payment-failing", "Billing", "Payment keeps failing at checkout",
        tags=("payment", "checkout"), weight=3, steps=(
            customer(
                "I've tried to pay three times for a {product} and every time it says 'payment declined'. "
                "My card works everywhere else. Can you help?\n\n{first}"
            ),
            reply(
                "Hi {first},\n\nsorry about that. Our payment provider shows the attempts were stopped at "
                "the 3-D Secure step, i.e. your bank's confirmation. Did you get a prompt from your banking "
                "app? If not, PayPal or another card usually works.",
                then=Status.PENDING,
            ),
            customer("It worked with PayPal. Still odd, but thanks.", gap=(30, 24 * 60)),
            status(Status.SOLVED),
        ),
    ),
    Scenario(
        "already-paid", "Billing", "Reminder for {invoice} - we already paid",
        tags=("invoice", "dunning"), customers="business", weight=2, steps=(
            customer(
                "Hello,\n\nwe received a payment reminder for {invoice}, but we paid it on {day} by bank "
                "transfer. Please check and stop the reminders.\n\n{name}\n{org}"
            ),
            reply(
                "Hi {first},\n\nthanks for letting us know, and sorry for the reminder. I can't see the "
                "payment yet, so I've asked our bank to trace it. I've paused the reminders meanwhile.",
                then=Status.ON_HOLD,
            ),
            note(
                "Bank found it: booked against the wrong customer number. Moved to {org}.",
                by="colleague",
            ),
            reply(
                "Hi {first},\n\nfound it - your payment was booked to the wrong account on our side. It's "
                "corrected now and {invoice} shows as paid. Apologies for the confusion.",
                then=Status.SOLVED,
            ),
        ),
    ),
    Scenario(
        "credit-hold", "Billing", "Why was our order refused?",
        tags=("account", "credit-hold"), priority=Priority.HIGH, customers="credit_hold", weight=2,
        amount=(1200, 3400), steps=(
            customer(
                "Hi,\n\nour usual Friday order was refused this morning with 'account on hold'. We have "
                "a full deli and no bread - what's going on?\n\n{name}\n{org}"
            ),
            note(
                "{org} is on credit hold: two direct debits returned. No new orders until the arrears are "
                "paid - do not take phone orders either.",
                by="supervisor",
            ),
            reply(
                "Hi {first},\n\nI'm sorry for the surprise. Your last two direct debits were returned by "
                "the bank, so the account is on hold until the open amount of {amount} is paid. As soon as "
                "we see the payment, orders go through as normal.",
                then=Status.PENDING,
            ),
            customer("I've paid by transfer just now. Can you release the order?", gap=(60, 8 * 60)),
            note("Payment received - hold can be cleared by Finance.", by="colleague"),
            reply(
                "Thanks {first}, the payment has arrived and your account is active again. Tomorrow's order "
                "goes out as usual.",
                then=Status.SOLVED,
            ),
        ),
    ),
    Scenario(
        "voucher", "Billing", "Gift voucher not accepted",
        tags=("voucher", "checkout"), customers="private", weight=2, steps=(
            customer(
                "Hello, I got a gift voucher for Christmas (code {voucher}) but the shop says it's "
                "invalid. Can you check?\n\nThanks, {first}"
            ),
            reply(
                "Hi {first},\n\nthe voucher expired last month, but it's a gift and it's still unused, so "
                "I've extended it by three months. It should work at checkout now.",
                then=Status.SOLVED,
            ),
        ),
    ),
    Scenario(
        "price-increase", "Billing", "Price increase on our invoice",
        tags=("wholesale", "pricing"), customers="business", weight=2, steps=(
            customer(
                "Hi,\n\nour last invoice {invoice} shows higher prices for croissants and sourdough. We "
                "weren't told about that. Can you explain?\n\n{name}\n{org}"
            ),
            reply(
                "Hi {first},\n\nflour and butter prices rose sharply this year and we adjusted wholesale "
                "prices by 6% from the 1st. The letter went to your accounts address in the autumn; I've "
                "attached it again. Sorry it didn't reach you.",
                then=Status.PENDING,
            ),
            customer(
                "Understood, but we've been ordering every day for three years. Is there anything you can "
                "do for a long-standing customer?",
                gap=(2 * 60, 72 * 60),
            ),
            note("We can offer 4% back for a 12-month commitment on the standing order.", by="supervisor"),
            reply(
                "Hi {first},\n\nwe value your custom. If you commit to the standing order for another "
                "twelve months, we can keep the old prices minus 2% for you. Shall I send the agreement?",
                then=Status.PENDING,
            ),
        ),
    ),
    Scenario(
        "receipt", "Billing", "Receipt for my order",
        tags=("invoice",), customers="private", weight=2, steps=(
            customer("Hi, could you send me a receipt for order {order}? I need it for expenses.\n\n{first}"),
            reply(
                "Hi {first},\n\nthe receipt is in your account under Orders > {order} > Download receipt; "
                "I've also emailed it to you.",
                then=Status.SOLVED,
            ),
        ),
    ),
    Scenario(
        "prepayment", "Billing", "Large order for next week - invoice please",
        tags=("wholesale", "prepayment"), customers="prepayment_required", weight=1, amount=(560, 900),
        steps=(
            customer(
                "Hi,\n\nwe have a conference next week and need 400 mini pastries. Please invoice us as "
                "usual, 30 days.\n\n{name}\n{org}"
            ),
            note(
                "{org} is on prepayment until further notice - no invoice terms. Send a payment link.",
                by="supervisor",
            ),
            reply(
                "Hi {first},\n\nhappy to bake for you. As discussed with your finance director, orders "
                "are prepaid for the moment: the payment link for {amount} is in your account. As soon "
                "as it's paid the order is confirmed.",
                then=Status.PENDING,
            ),
            customer("Paid. Please confirm.", gap=(4 * 60, 48 * 60)),
            reply("Payment received - your order is confirmed. Thank you!", then=Status.SOLVED),
        ),
    ),
    # --- Support --------------------------------------------------------------------------------------
    Scenario(
        "nut-allergy", "Support", "Do your brownies contain nuts?",
        tags=("allergens",), priority=Priority.HIGH, customers="private", weight=3, steps=(
            customer(
                "Hello,\n\nmy daughter has a severe nut allergy and I'd like to order the brownie gift "
                "tin for her class. Are they nut-free? And are they made somewhere without nuts?\n\n"
                "Many thanks,\n{name}"
            ),
            reply(
                "Hi {first},\n\nthank you for asking before ordering. The brownies contain no nuts as "
                "ingredients, but they are baked in the same kitchen as our walnut and hazelnut products, "
                "so we can't guarantee they are free of traces. For a severe allergy I'd honestly not "
                "recommend them.",
                then=Status.SOLVED,
            ),
            customer("Thank you for being so honest. We'll find something else.", gap=(30, 24 * 60)),
            status(Status.SOLVED),
        ),
    ),
    Scenario(
        "gluten-free", "Support", "Gluten-free options for a birthday",
        tags=("allergens", "question"), customers="private", weight=2, steps=(
            customer(
                "Hi! My son turns 7 next week and has coeliac disease. Do you have a gluten-free birthday "
                "cake?\n\n{first}"
            ),
            reply(
                "Hi {first},\n\nyes - our chocolate birthday cake comes in a gluten-free version (made "
                "with certified gluten-free flour on a separate day). Please order at least 4 days ahead "
                "and choose 'gluten-free' under options.",
                then=Status.PENDING,
            ),
            customer("Ordered! {order}. Thanks for the quick answer.", gap=(60, 48 * 60)),
            status(Status.SOLVED),
        ),
    ),
    Scenario(
        "login", "Support", "Can't log in to my account",
        tags=("account", "login"), weight=4, steps=(
            customer(
                "Hi,\n\nI can't log in. It says my password is wrong, but I'm sure it's right. I want to "
                "check my subscription.\n\n{first}"
            ),
            reply(macro="Password reset steps", then=Status.PENDING),
            customer(
                "I tried that three times and no email arrives. Not in spam either.", gap=(30, 12 * 60)
            ),
            note("Mail log: reset emails bounced - the account address has a typo (gmial). Fixed it."),
            reply(
                "Hi {first},\n\nfound it: the email address on your account had a typo, so the reset "
                "emails never reached you. I've corrected it and sent a new link - it should be in your "
                "inbox now.",
                then=Status.PENDING,
            ),
            customer("Works now, thank you!", gap=(5, 6 * 60)),
            status(Status.SOLVED),
        ),
    ),
    Scenario(
        "delete-account", "Support", "Please delete my account and data",
        tags=("account", "gdpr"), customers="private", weight=2, steps=(
            customer(
                "Hello, please delete my account and all my personal data. I don't use the shop any "
                "more.\n\n{name}"
            ),
            reply(
                "Hi {first},\n\nsorry to see you go. To be sure the request comes from you, please reply "
                "from the address registered on the account (this one is fine if it is) and confirm you "
                "want the account deleted.",
                then=Status.PENDING,
            ),
            customer("Yes, I confirm. This is my account address.", gap=(60, 72 * 60)),
            note("Deletion requested in the shop admin; invoices are kept 10 years (legal), rest removed."),
            reply(
                "Hi {first},\n\nyour account and personal data have been deleted. We have to keep invoices "
                "for ten years by law; they are stored without marketing use.",
                then=Status.SOLVED,
            ),
        ),
    ),
    Scenario(
        "checkout-bug", "Support", "Checkout freezes on my phone",
        tags=("website", "bug"), weight=3, steps=(
            customer(
                "Hi, every time I try to pay on my phone the checkout page freezes after I enter my "
                "address. On my laptop it works. Annoying!\n\n{first}"
            ),
            reply(
                "Hi {first},\n\nsorry about that, and thanks for telling us. Which phone and browser are "
                "you using? That helps our web team reproduce it.",
                then=Status.PENDING,
            ),
            customer("iPhone 13, Safari. iOS is up to date.", gap=(20, 24 * 60)),
            note("Reproduced on iOS Safari: address autocomplete hangs. Passed to the web team as WEB-212."),
            reply(
                "Thanks {first} - we could reproduce it and our web team is working on a fix. I'll let you "
                "know when it's live. Until then, the checkout works in Chrome on the iPhone.",
                then=Status.ON_HOLD,
            ),
            reply(
                "Hi {first},\n\nthe fix is live - checkout on Safari works again. Thanks for your "
                "patience, and for the report.",
                then=Status.SOLVED,
                gap=(2 * 24 * 60, 5 * 24 * 60),
            ),
        ),
    ),
    Scenario(
        "thank-you", "Support", "Thank you!",
        tags=("feedback", "praise"), customers="private", weight=3, steps=(
            customer(
                "Just wanted to say: the {cake} cake for my mother's 80th was wonderful. Everyone asked "
                "where it was from. Thank you to whoever baked it!\n\n{name}"
            ),
            reply(
                "Hi {first},\n\nthank you so much - I've passed your message on to the bakers, it made "
                "their day. Happy belated birthday to your mother!",
                then=Status.SOLVED,
            ),
        ),
    ),
    Scenario(
        "mouldy-bread", "Support", "Sourdough went mouldy after two days",
        tags=("quality", "complaint"), weight=3, amount=(6, 9), steps=(
            customer(
                "Hello,\n\nthe sourdough from my subscription box (delivered {day}) had mould after just "
                "two days. I kept it in the bread bin as always. Not what I expect for the price.\n\n"
                "{first}"
            ),
            note("Batch from {day}: two other reports. Flagged to the bakery lead.", by="supervisor"),
            reply(
                "Hi {first},\n\nI'm sorry - that shouldn't happen. We had a problem with one batch that "
                "day. I've credited the loaf ({amount}) to your account and next week's box includes a "
                "free extra loaf.",
                then=Status.SOLVED,
            ),
        ),
    ),
    Scenario(
        "unsubscribe", "Support", "Stop emailing me",
        tags=("newsletter",), customers="private", weight=2, steps=(
            customer("Please take me off your mailing list. I get three emails a week."),
            reply(
                "Hi {first},\n\ndone - you're unsubscribed from the newsletter. Order confirmations will "
                "still come, of course.",
                then=Status.SOLVED,
            ),
        ),
    ),
    Scenario(
        "click-collect", "Support", "Click & collect times",
        tags=("question", "pickup"), weight=2, steps=(
            customer(
                "Hi, if I order click & collect, when can I pick up? I work until 6.\n\nThanks, {first}"
            ),
            reply(
                "Hi {first},\n\nthe shop is open until 19:00 Monday to Friday and 14:00 on Saturday. "
                "Orders placed before 10:00 are ready the same afternoon.",
                then=Status.SOLVED,
            ),
        ),
    ),
    Scenario(
        "vegan-croissants", "Support", "Are your croissants vegan?",
        tags=("allergens", "question"), customers="private", weight=2, steps=(
            customer("Hello! Are the croissants vegan? I couldn't find it on the website.\n\n{first}"),
            reply(
                "Hi {first},\n\nour classic croissants are made with butter, so they aren't vegan - but we "
                "have an oat-butter croissant in the 'Vegan' category. It's very popular!",
                then=Status.SOLVED,
            ),
        ),
    ),
    Scenario(
        "job-application", "Support", "Application as a baker",
        tags=("misrouted",), customers="private", weight=1, steps=(
            customer(
                "Dear Sir or Madam,\n\nI saw your job advert for a baker and would like to apply. My CV "
                "is attached. I have five years' experience in an artisan bakery.\n\nKind regards,\n{name}"
            ),
            reply(
                "Hi {first},\n\nthank you for your interest! I've forwarded your application to our "
                "bakery manager, who will contact you directly.",
                then=Status.SOLVED,
            ),
        ),
    ),
    Scenario(
        "subscription-pause", "Support", "Pause my subscription while on holiday",
        tags=("subscription",), customers="private", weight=2, steps=(
            customer(
                "Hi, we're away for the next two weeks. Can you pause my bread box until we're back?\n\n"
                "{first}"
            ),
            reply(
                "Hi {first},\n\ndone - your subscription is paused for the next two deliveries and "
                "restarts automatically afterwards. Have a lovely holiday!",
                then=Status.SOLVED,
            ),
        ),
    ),
    Scenario(
        "wrong-allergen-label", "Support", "Allergen label missing sesame",
        tags=("allergens", "quality"), priority=Priority.URGENT, weight=1, steps=(
            customer(
                "Hello,\n\nthe seeded rye loaf I received has sesame on top, but the label doesn't list "
                "sesame. I'm allergic and only noticed by chance. This could be dangerous.\n\n{name}"
            ),
            note("Label template for seeded rye is missing sesame since the recipe change. Escalated.",
                 by="supervisor"),
            reply(
                "Hi {first},\n\nthank you for telling us - you're right, and I'm very sorry. The label was "
                "not updated after a recipe change. We've stopped sales of the loaf until new labels are "
                "printed, and I've refunded your order. I'm glad you noticed in time.",
                then=Status.ON_HOLD,
            ),
            note(
                "New labels printed and checked by the bakery lead. Loaf back on sale.",
                by="supervisor",
                gap=(24 * 60, 3 * 24 * 60),
            ),
            reply(
                "Hi {first},\n\nan update: every seeded rye loaf now carries a corrected label, checked "
                "by our bakery lead. Thank you again for pointing it out.",
                then=Status.SOLVED,
            ),
        ),
    ),
]  # fmt: skip


# Comments customers leave with a bad rating.
BAD_RATING_COMMENTS = [
    "Took three emails to get a straight answer.",
    "Nobody told me the order would be late until I chased it.",
    "The reply didn't answer my question about the invoice.",
    "Felt like a form letter.",
]
