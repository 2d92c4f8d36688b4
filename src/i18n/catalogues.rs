//! The message catalogues, one array per language in [`super::Msg`] order.
//!
//! Adding a language: add an array here and a line in [`for_tag`]. Hosts override any text
//! through the element's `strings` property, by message id.

use super::COUNT;

/// A catalogue: one text per message.
pub type Catalogue = [&'static str; COUNT];

/// The catalogue for a BCP 47 tag: by primary language (`es-MX` → Spanish, `pt-PT` →
/// Brazilian Portuguese, the one Portuguese catalogue), English for anything else.
pub fn for_tag(tag: &str) -> &'static Catalogue {
    match super::primary_language(tag).as_str() {
        "es" => &ES,
        "fr" => &FR,
        "de" => &DE,
        "pt" => &PT_BR,
        "ja" => &JA,
        "ar" => &AR,
        "he" | "iw" => &HE,
        _ => &EN,
    }
}

/// English, the fallback of every chain.
pub const EN: Catalogue = [
    "Your referral dashboard",
    "Your referral link",
    "Copy",
    "Copied",
    "Press Ctrl+C (⌘C on a Mac) to copy the selected link",
    "Reach",
    "Referrals",
    "Qualified referrals",
    "Your referrals",
    "Qualified",
    "Pending",
    "Show more",
    "No referrals yet",
    "We couldn't load your referral dashboard.",
    "Try again",
    "Couldn't refresh; showing earlier data.",
    "Loading your referral dashboard",
    "Share your link",
    "Share…",
    "Email",
    "Text message",
    "Join me with my referral link:",
    "An invitation for you",
    "Share your link with friends: the people who join will show up here.",
    "QR code of your referral link",
    "Someone",
];

const ES: Catalogue = [
    "Tu panel de referidos",
    "Tu enlace de referido",
    "Copiar",
    "Copiado",
    "Pulsa Ctrl+C (⌘C en Mac) para copiar el enlace seleccionado",
    "Alcance",
    "Referidos",
    "Referidos cualificados",
    "Tus referidos",
    "Cualificado",
    "Pendiente",
    "Mostrar más",
    "Todavía no tienes referidos",
    "No hemos podido cargar tu panel de referidos.",
    "Reintentar",
    "No se pudo actualizar; se muestran datos anteriores.",
    "Cargando tu panel de referidos",
    "Comparte tu enlace",
    "Compartir…",
    "Correo",
    "SMS",
    "Únete con mi enlace de referido:",
    "Una invitación para ti",
    "Comparte tu enlace con tus amigos: quienes se unan aparecerán aquí.",
    "Código QR de tu enlace de referido",
    "Alguien",
];

const FR: Catalogue = [
    "Votre tableau de bord de parrainage",
    "Votre lien de parrainage",
    "Copier",
    "Copié",
    "Appuyez sur Ctrl+C (⌘C sur Mac) pour copier le lien sélectionné",
    "Portée",
    "Filleuls",
    "Filleuls validés",
    "Vos filleuls",
    "Validé",
    "En attente",
    "Afficher plus",
    "Pas encore de filleuls",
    "Impossible de charger votre tableau de bord de parrainage.",
    "Réessayer",
    "Actualisation impossible ; données précédentes affichées.",
    "Chargement de votre tableau de bord de parrainage",
    "Partagez votre lien",
    "Partager…",
    "E-mail",
    "SMS",
    "Rejoins-moi avec mon lien de parrainage :",
    "Une invitation pour vous",
    "Partagez votre lien avec vos amis : les personnes qui s'inscrivent apparaîtront ici.",
    "Code QR de votre lien de parrainage",
    "Quelqu'un",
];

const DE: Catalogue = [
    "Ihr Empfehlungs-Dashboard",
    "Ihr Empfehlungslink",
    "Kopieren",
    "Kopiert",
    "Drücken Sie Strg+C (⌘C auf dem Mac), um den markierten Link zu kopieren",
    "Reichweite",
    "Empfehlungen",
    "Bestätigte Empfehlungen",
    "Ihre Empfehlungen",
    "Bestätigt",
    "Ausstehend",
    "Mehr anzeigen",
    "Noch keine Empfehlungen",
    "Ihr Empfehlungs-Dashboard konnte nicht geladen werden.",
    "Erneut versuchen",
    "Aktualisierung fehlgeschlagen; ältere Daten werden angezeigt.",
    "Ihr Empfehlungs-Dashboard wird geladen",
    "Link teilen",
    "Teilen…",
    "E-Mail",
    "SMS",
    "Mach mit – über meinen Empfehlungslink:",
    "Eine Einladung für dich",
    "Teilen Sie Ihren Link mit Freunden – wer sich anmeldet, erscheint hier.",
    "QR-Code Ihres Empfehlungslinks",
    "Jemand",
];

const PT_BR: Catalogue = [
    "Seu painel de indicações",
    "Seu link de indicação",
    "Copiar",
    "Copiado",
    "Pressione Ctrl+C (⌘C no Mac) para copiar o link selecionado",
    "Alcance",
    "Indicações",
    "Indicações qualificadas",
    "Suas indicações",
    "Qualificada",
    "Pendente",
    "Mostrar mais",
    "Nenhuma indicação ainda",
    "Não foi possível carregar seu painel de indicações.",
    "Tentar novamente",
    "Não foi possível atualizar; exibindo dados anteriores.",
    "Carregando seu painel de indicações",
    "Compartilhe seu link",
    "Compartilhar…",
    "E-mail",
    "SMS",
    "Entre com meu link de indicação:",
    "Um convite para você",
    "Compartilhe seu link com amigos: quem se cadastrar aparecerá aqui.",
    "Código QR do seu link de indicação",
    "Alguém",
];

const JA: Catalogue = [
    "紹介ダッシュボード",
    "あなたの紹介リンク",
    "コピー",
    "コピーしました",
    "Ctrl+C（Mac では ⌘C）を押して、選択したリンクをコピーしてください",
    "リーチ",
    "紹介数",
    "承認済みの紹介",
    "紹介した人",
    "承認済み",
    "保留中",
    "さらに表示",
    "まだ紹介はありません",
    "紹介ダッシュボードを読み込めませんでした。",
    "再試行",
    "更新できませんでした。以前のデータを表示しています。",
    "紹介ダッシュボードを読み込んでいます",
    "リンクを共有",
    "共有…",
    "メール",
    "SMS",
    "私の紹介リンクから参加してね：",
    "招待が届いています",
    "リンクを友だちに共有しましょう。登録した人がここに表示されます。",
    "紹介リンクの QR コード",
    "どなたか",
];

const AR: Catalogue = [
    "لوحة الإحالات الخاصة بك",
    "رابط الإحالة الخاص بك",
    "نسخ",
    "تم النسخ",
    "اضغط Ctrl+C (أو ⌘C على Mac) لنسخ الرابط المحدد",
    "الوصول",
    "الإحالات",
    "الإحالات المؤهلة",
    "إحالاتك",
    "مؤهلة",
    "قيد الانتظار",
    "عرض المزيد",
    "لا توجد إحالات بعد",
    "تعذّر تحميل لوحة الإحالات الخاصة بك.",
    "إعادة المحاولة",
    "تعذّر التحديث؛ يتم عرض بيانات سابقة.",
    "جارٍ تحميل لوحة الإحالات",
    "شارك رابطك",
    "مشاركة…",
    "البريد الإلكتروني",
    "رسالة نصية",
    "انضم إليّ عبر رابط الإحالة الخاص بي:",
    "دعوة لك",
    "شارك رابطك مع أصدقائك، وسيظهر هنا من ينضم منهم.",
    "رمز QR لرابط الإحالة الخاص بك",
    "شخص ما",
];

const HE: Catalogue = [
    "לוח ההפניות שלך",
    "קישור ההפניה שלך",
    "העתקה",
    "הועתק",
    "יש ללחוץ Ctrl+C (או ⌘C ב-Mac) כדי להעתיק את הקישור המסומן",
    "חשיפה",
    "הפניות",
    "הפניות מאושרות",
    "ההפניות שלך",
    "מאושרת",
    "ממתינה",
    "הצגת עוד",
    "עדיין אין הפניות",
    "לא הצלחנו לטעון את לוח ההפניות שלך.",
    "ניסיון חוזר",
    "הרענון נכשל; מוצגים נתונים קודמים.",
    "לוח ההפניות נטען",
    "שיתוף הקישור",
    "שיתוף…",
    "אימייל",
    "הודעת SMS",
    "הצטרפו אליי דרך קישור ההפניה שלי:",
    "הזמנה בשבילך",
    "שתפו את הקישור עם חברים, ומי שיצטרף יופיע כאן.",
    "קוד QR של קישור ההפניה שלך",
    "מישהו",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_pick_their_language_and_fall_back_to_english() {
        assert_eq!(for_tag("de")[2], "Kopieren");
        assert_eq!(for_tag("de-AT")[2], "Kopieren");
        assert_eq!(for_tag("es-MX")[2], "Copiar");
        assert_eq!(for_tag("pt-PT")[0], "Seu painel de indicações");
        assert_eq!(for_tag("PT_br")[0], "Seu painel de indicações");
        assert_eq!(for_tag("iw")[2], "העתקה");
        assert_eq!(for_tag("zh-Hans")[2], "Copy");
        assert_eq!(for_tag("")[2], "Copy");
    }

    /// The loader (`pkg-template/element.js`) draws an error state when the wasm, and with it
    /// these catalogues, cannot be loaded: its copy of the three texts it needs must be theirs,
    /// and it must lay out right to left for the same languages.
    #[test]
    fn the_loaders_error_state_says_what_the_catalogues_say() {
        use super::super::Msg;
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/pkg-template/element.js");
        let loader = std::fs::read_to_string(path).unwrap();
        for (language, catalogue) in [
            ("en", &EN),
            ("es", &ES),
            ("fr", &FR),
            ("de", &DE),
            ("pt", &PT_BR),
            ("ja", &JA),
            ("ar", &AR),
            ("he", &HE),
        ] {
            let texts = [Msg::Title, Msg::ErrorTitle, Msg::Retry].map(|m| catalogue[m as usize]);
            let line = format!("  {language}: {},", serde_json::to_string(&texts).unwrap());
            assert!(
                loader.lines().any(|l| l == line),
                "element.js lacks the line {line}"
            );
        }
        let start = loader.find("const RTL = [").expect("element.js lists RTL");
        let list = &loader[start..start + loader[start..].find(']').unwrap()];
        let rtl: Vec<&str> = list.split('\'').skip(1).step_by(2).collect();
        assert!(!rtl.is_empty());
        for language in &rtl {
            assert!(
                super::super::is_rtl(language),
                "{language} is not right to left in Rust"
            );
        }
        for language in [
            "ar", "he", "iw", "fa", "ur", "ps", "yi", "dv", "ckb", "sd", "ug", "en", "ja",
        ] {
            assert_eq!(
                rtl.contains(&language),
                super::super::is_rtl(language),
                "element.js and i18n::is_rtl disagree on {language}"
            );
        }
    }

    #[test]
    fn no_catalogue_has_an_empty_text() {
        for catalogue in [&EN, &ES, &FR, &DE, &PT_BR, &JA, &AR, &HE] {
            assert!(catalogue.iter().all(|t| !t.trim().is_empty()));
        }
    }
}
