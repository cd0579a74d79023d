"""The collections partnerbot keeps, as data handed to `Store.open`."""

from storage.collection import Collection

SCHEMA: tuple[Collection, ...] = (
    Collection("partners", key=("id",)),
    # username -> partner id
    Collection("members", key=("username",)),
    # a partner's revenue-share overrides (/terms)
    Collection("terms", key=("partner",)),
    Collection("reports", key=("partner", "month"), owned=True),
    # every month each partner filed: what the reminders and /partners read, without the
    # reports (an index without "complete": true kept only the last 12)
    Collection("filings", key=("partner",)),
    # deal registration: a client's normalised name -> the partner it is registered to
    # (kept in step with the filings, in the same commit)
    Collection("registrations", key=("client",)),
    Collection("reviews", key=("partner", "date"), owned=True),
    # yearly program fees recorded with /fee (the fee at signing is the partner's fee_paid)
    Collection("fees", key=("partner", "year"), owned=True),
    # goals revised by a manager at a review (/goals <id> 3m|1y): their history
    Collection("goals", key=("partner", "at", "horizon"), owned=True),
    # goals a partner proposed after step 3, waiting for a manager (one per horizon)
    Collection("goal_proposals", key=("partner", "horizon"), owned=True),
    # reminder marks: one document per reminder sent; the pending-approvals digest is
    # kept under "@<manager>" in place of a partner id
    Collection("sent", key=("partner", "kind", "period"), owned=True),
    # /stats (issue 15): each filed report summed, each partner's quarter, each partner's
    # reviews and fee years, kept with what they sum (commands.figures); marks of the
    # quarterly summaries posted
    Collection("stats_months", key=("partner", "month"), owned=True),
    Collection("stats_quarters", key=("quarter", "partner"), owned=True),
    Collection("stats_partners", key=("partner",)),
    Collection("stats_posts", key=("quarter", "audience"), owned=True),
    # who the bot put in the partners' channel ("state": "added") or reported to the
    # managers as being there without being a contact ("state": "reported"), by username
    Collection("channel", key=("username",)),
    # /announce: each announcement ("A-1", ...) with its text, its author and when
    Collection("announcements", key=("id",)),
    # /materials: the program's documents ("M-1", ...): kind, title, url, who, when
    Collection("materials", key=("id",)),
    # languages chosen with /language: a user's ("kind": "user", "name": the username) and,
    # by a contact, a partner's rooms' ("kind": "partner", "name": the partner id)
    Collection("languages", key=("kind", "name")),
    # a partner's certified services and the countries and languages it serves
    Collection("expertise", key=("partner",)),
    # referrals of clients to partners (/refer, /referrals): "R-<n>"
    Collection("referrals", key=("id",)),
    # the last number given out of a numbered series ("referrals": R-<n>)
    Collection("sequences", key=("name",)),
    # ids of the chat messages already handled
    Collection("seen", key=("id",)),
    Collection("outbox", key=("id",)),
    Collection("conversations", key=("room", "user")),
    Collection("cursors", key=("room",)),
)
