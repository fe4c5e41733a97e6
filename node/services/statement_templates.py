"""Dutch texts an organisation starts its privacy and accessibility statements from.

The parts in [brackets] are for the organisation to fill in; {name} and {contact} are filled in
from the node's settings when the text is offered.
"""

from __future__ import annotations

PRIVACY = """\
Laatst bijgewerkt: [datum]

{name} ([naam van de rechtspersoon], [adres]) is verantwoordelijk voor de verwerking van
persoonsgegevens op dit platform. Het platform draait op Meent, open-sourcesoftware voor
gefedereerde discussies.

## Welke gegevens we bewaren

- **Uw account**: gebruikersnaam, weergavenaam, e-mailadres (als u dat opgeeft), een versleutelde
  (gehashte) versie van uw wachtwoord, uw taalvoorkeur, profieltekst en profielafbeeldingen.
- **Wat u plaatst**: onderwerpen, reacties, blogberichten, bijlagen, vind-ik-leuks en de groepen
  die u volgt. Wat u plaatst is openbaar, tenzij het platform anders aangeeft.
- **Sessies**: wanneer u inlogt bewaren we een sessie met het type browser en het IP-adres, zodat
  u uw sessies kunt zien en beëindigen.
- **Meldingen en moderatie**: meldingen die u doet en moderatiebesluiten. In het openbare
  moderatielogboek staat nooit wie iets heeft gemeld.

## Federatie met andere servers

Dit platform is verbonden met andere servers in het fediverse (bijvoorbeeld Mastodon). Openbare
berichten, uw profiel en wie u volgt worden naar die servers gestuurd als mensen daar u of uw
groepen volgen. Wij hebben geen zeggenschap over wat andere servers met die gegevens doen; als u
een bericht verwijdert, vragen we hen het ook te verwijderen.

## E-mail

We sturen e-mail om uw adres te bevestigen, om uw wachtwoord te herstellen en, als u dat aanzet,
meldingen en samenvattingen. Elke mail heeft een link om u af te melden. De mail gaat via
[naam van de mailprovider].

## Logbestanden

De server houdt technische logbestanden bij (onder meer IP-adressen en de gevraagde pagina's) om
storingen en misbruik te kunnen onderzoeken. Beheerdershandelingen staan in een auditlogboek.

## Bewaartermijnen

- Account en berichten: zolang uw account bestaat; als u uw account verwijdert, verwijderen we
  uw gegevens binnen [aantal] dagen.
- Sessies: tot u uitlogt of de sessie verloopt.
- Logbestanden: [aantal] dagen.
- Auditlogboek: [termijn].

## Uw rechten onder de AVG

U hebt het recht op inzage, correctie en verwijdering van uw gegevens, op beperking van en bezwaar
tegen de verwerking, en op overdracht van uw gegevens. Veel kunt u zelf doen via uw instellingen;
voor de rest kunt u contact met ons opnemen. U kunt ook een klacht indienen bij de Autoriteit
Persoonsgegevens.

## Contact

Vragen over privacy: {contact}. Onze functionaris gegevensbescherming: [naam en contactgegevens].
"""

ACCESSIBILITY = """\
Laatst bijgewerkt: [datum]

{name} wil dat iedereen dit platform kan gebruiken. We streven naar naleving van de
Web Content Accessibility Guidelines (WCAG) 2.1 op niveau AA, zoals het Besluit digitale
toegankelijkheid overheid vraagt.

## Hoe we dit hebben getest

- Automatisch, met axe, op de pagina's die mensen het meest gebruiken: inloggen, een account
  aanmaken, groepen, onderwerpen, reageren, blogs, zoeken, instellingen en beheer.
- Met alleen het toetsenbord: elke pagina en elk formulier werkt zonder muis en de focus is steeds
  zichtbaar.
- Op een smal scherm van 375 pixels breed, zonder dat u opzij hoeft te scrollen, en zonder
  JavaScript.
- [Beschrijf hier een eventueel onderzoek door een deskundige partij, met datum.]

## Bekende beperkingen

- Afbeeldingen en bijlagen die deelnemers plaatsen hebben niet altijd een goede tekstbeschrijving.
- Berichten van andere servers in het fediverse kunnen we niet controleren op toegankelijkheid.
- [Vul aan met beperkingen die u zelf hebt gevonden.]

## Een probleem melden

Loopt u tegen een probleem aan? Laat het ons weten via {contact}. Vermeld de pagina en wat er
misging. We reageren binnen [aantal] werkdagen. Bent u niet tevreden met ons antwoord, dan kunt u
zich wenden tot [de ombudsman of een andere instantie].
"""

TEMPLATES = {"privacy": PRIVACY, "accessibility": ACCESSIBILITY}
