//! The message catalogues of the languages besides English, keyed by message id. English, the
//! fallback of every catalogue, is in `src/surface.rs` with the ids themselves.
//!
//! Adding a language: add a catalogue here and a line in [`LANGUAGES`]. A catalogue may lack
//! an id (that text falls back to English, and a test lists the gap); an id that is not a
//! message id stops the build. Hosts override any text through the element's `strings`
//! property, by message id.
//!
//! This file is data only: `cargo xtask surface` reads it too, for the texts of the loader's
//! error state.

/// A catalogue: message id, text.
pub type Catalogue = &'static [(&'static str, &'static str)];

/// Every catalogue, by primary language subtag.
pub const LANGUAGES: [(&str, Catalogue); 7] = [
    ("es", ES),
    ("fr", FR),
    ("de", DE),
    ("pt", PT_BR),
    ("ja", JA),
    ("ar", AR),
    ("he", HE),
];

/// Other subtags of the same languages (`iw` is Hebrew's former code).
pub const ALIASES: [(&str, &str); 1] = [("iw", "he")];

/// Languages written right to left, by primary subtag (those with a catalogue and the others
/// the browser may name).
pub const RIGHT_TO_LEFT: [&str; 11] = [
    "ar", "he", "iw", "fa", "ur", "ps", "yi", "dv", "ckb", "sd", "ug",
];

/// Spanish.
#[rustfmt::skip]
pub const ES: Catalogue = &[
    ("title", "Tu panel de referidos"),
    ("link-label", "Tu enlace de referido"),
    ("copy", "Copiar"),
    ("copied", "Copiado"),
    ("copy-fallback", "Pulsa Ctrl+C (⌘C en Mac) para copiar el enlace seleccionado"),
    ("stat-reach", "Alcance"),
    ("stat-referrals", "Referidos"),
    ("stat-qualified", "Referidos cualificados"),
    ("referrals-heading", "Tus referidos"),
    ("status-qualified", "Cualificado"),
    ("status-pending", "Pendiente"),
    ("show-more", "Mostrar más"),
    ("empty", "Todavía no tienes referidos"),
    ("error-title", "No hemos podido cargar tu panel de referidos."),
    ("retry", "Reintentar"),
    ("stale", "No se pudo actualizar; se muestran datos anteriores."),
    ("loading", "Cargando tu panel de referidos"),
    ("share-group", "Comparte tu enlace"),
    ("share-native", "Compartir…"),
    ("share-email", "Correo"),
    ("share-sms", "SMS"),
    ("share-message", "Únete con mi enlace de referido:"),
    ("share-subject", "Una invitación para ti"),
    ("empty-hint", "Comparte tu enlace con tus amigos: quienes se unan aparecerán aquí."),
    ("qr-label", "Código QR de tu enlace de referido"),
    ("anonymous", "Alguien"),
];

/// French.
#[rustfmt::skip]
pub const FR: Catalogue = &[
    ("title", "Votre tableau de bord de parrainage"),
    ("link-label", "Votre lien de parrainage"),
    ("copy", "Copier"),
    ("copied", "Copié"),
    ("copy-fallback", "Appuyez sur Ctrl+C (⌘C sur Mac) pour copier le lien sélectionné"),
    ("stat-reach", "Portée"),
    ("stat-referrals", "Filleuls"),
    ("stat-qualified", "Filleuls validés"),
    ("referrals-heading", "Vos filleuls"),
    ("status-qualified", "Validé"),
    ("status-pending", "En attente"),
    ("show-more", "Afficher plus"),
    ("empty", "Pas encore de filleuls"),
    ("error-title", "Impossible de charger votre tableau de bord de parrainage."),
    ("retry", "Réessayer"),
    ("stale", "Actualisation impossible ; données précédentes affichées."),
    ("loading", "Chargement de votre tableau de bord de parrainage"),
    ("share-group", "Partagez votre lien"),
    ("share-native", "Partager…"),
    ("share-email", "E-mail"),
    ("share-sms", "SMS"),
    ("share-message", "Rejoins-moi avec mon lien de parrainage :"),
    ("share-subject", "Une invitation pour vous"),
    ("empty-hint", "Partagez votre lien avec vos amis : les personnes qui s'inscrivent apparaîtront ici."),
    ("qr-label", "Code QR de votre lien de parrainage"),
    ("anonymous", "Quelqu'un"),
];

/// German.
#[rustfmt::skip]
pub const DE: Catalogue = &[
    ("title", "Ihr Empfehlungs-Dashboard"),
    ("link-label", "Ihr Empfehlungslink"),
    ("copy", "Kopieren"),
    ("copied", "Kopiert"),
    ("copy-fallback", "Drücken Sie Strg+C (⌘C auf dem Mac), um den markierten Link zu kopieren"),
    ("stat-reach", "Reichweite"),
    ("stat-referrals", "Empfehlungen"),
    ("stat-qualified", "Bestätigte Empfehlungen"),
    ("referrals-heading", "Ihre Empfehlungen"),
    ("status-qualified", "Bestätigt"),
    ("status-pending", "Ausstehend"),
    ("show-more", "Mehr anzeigen"),
    ("empty", "Noch keine Empfehlungen"),
    ("error-title", "Ihr Empfehlungs-Dashboard konnte nicht geladen werden."),
    ("retry", "Erneut versuchen"),
    ("stale", "Aktualisierung fehlgeschlagen; ältere Daten werden angezeigt."),
    ("loading", "Ihr Empfehlungs-Dashboard wird geladen"),
    ("share-group", "Link teilen"),
    ("share-native", "Teilen…"),
    ("share-email", "E-Mail"),
    ("share-sms", "SMS"),
    ("share-message", "Mach mit – über meinen Empfehlungslink:"),
    ("share-subject", "Eine Einladung für dich"),
    ("empty-hint", "Teilen Sie Ihren Link mit Freunden – wer sich anmeldet, erscheint hier."),
    ("qr-label", "QR-Code Ihres Empfehlungslinks"),
    ("anonymous", "Jemand"),
];

/// Brazilian Portuguese (also for `pt-PT`: the one Portuguese catalogue).
#[rustfmt::skip]
pub const PT_BR: Catalogue = &[
    ("title", "Seu painel de indicações"),
    ("link-label", "Seu link de indicação"),
    ("copy", "Copiar"),
    ("copied", "Copiado"),
    ("copy-fallback", "Pressione Ctrl+C (⌘C no Mac) para copiar o link selecionado"),
    ("stat-reach", "Alcance"),
    ("stat-referrals", "Indicações"),
    ("stat-qualified", "Indicações qualificadas"),
    ("referrals-heading", "Suas indicações"),
    ("status-qualified", "Qualificada"),
    ("status-pending", "Pendente"),
    ("show-more", "Mostrar mais"),
    ("empty", "Nenhuma indicação ainda"),
    ("error-title", "Não foi possível carregar seu painel de indicações."),
    ("retry", "Tentar novamente"),
    ("stale", "Não foi possível atualizar; exibindo dados anteriores."),
    ("loading", "Carregando seu painel de indicações"),
    ("share-group", "Compartilhe seu link"),
    ("share-native", "Compartilhar…"),
    ("share-email", "E-mail"),
    ("share-sms", "SMS"),
    ("share-message", "Entre com meu link de indicação:"),
    ("share-subject", "Um convite para você"),
    ("empty-hint", "Compartilhe seu link com amigos: quem se cadastrar aparecerá aqui."),
    ("qr-label", "Código QR do seu link de indicação"),
    ("anonymous", "Alguém"),
];

/// Japanese.
#[rustfmt::skip]
pub const JA: Catalogue = &[
    ("title", "紹介ダッシュボード"),
    ("link-label", "あなたの紹介リンク"),
    ("copy", "コピー"),
    ("copied", "コピーしました"),
    ("copy-fallback", "Ctrl+C（Mac では ⌘C）を押して、選択したリンクをコピーしてください"),
    ("stat-reach", "リーチ"),
    ("stat-referrals", "紹介数"),
    ("stat-qualified", "承認済みの紹介"),
    ("referrals-heading", "紹介した人"),
    ("status-qualified", "承認済み"),
    ("status-pending", "保留中"),
    ("show-more", "さらに表示"),
    ("empty", "まだ紹介はありません"),
    ("error-title", "紹介ダッシュボードを読み込めませんでした。"),
    ("retry", "再試行"),
    ("stale", "更新できませんでした。以前のデータを表示しています。"),
    ("loading", "紹介ダッシュボードを読み込んでいます"),
    ("share-group", "リンクを共有"),
    ("share-native", "共有…"),
    ("share-email", "メール"),
    ("share-sms", "SMS"),
    ("share-message", "私の紹介リンクから参加してね："),
    ("share-subject", "招待が届いています"),
    ("empty-hint", "リンクを友だちに共有しましょう。登録した人がここに表示されます。"),
    ("qr-label", "紹介リンクの QR コード"),
    ("anonymous", "どなたか"),
];

/// Arabic.
#[rustfmt::skip]
pub const AR: Catalogue = &[
    ("title", "لوحة الإحالات الخاصة بك"),
    ("link-label", "رابط الإحالة الخاص بك"),
    ("copy", "نسخ"),
    ("copied", "تم النسخ"),
    ("copy-fallback", "اضغط Ctrl+C (أو ⌘C على Mac) لنسخ الرابط المحدد"),
    ("stat-reach", "الوصول"),
    ("stat-referrals", "الإحالات"),
    ("stat-qualified", "الإحالات المؤهلة"),
    ("referrals-heading", "إحالاتك"),
    ("status-qualified", "مؤهلة"),
    ("status-pending", "قيد الانتظار"),
    ("show-more", "عرض المزيد"),
    ("empty", "لا توجد إحالات بعد"),
    ("error-title", "تعذّر تحميل لوحة الإحالات الخاصة بك."),
    ("retry", "إعادة المحاولة"),
    ("stale", "تعذّر التحديث؛ يتم عرض بيانات سابقة."),
    ("loading", "جارٍ تحميل لوحة الإحالات"),
    ("share-group", "شارك رابطك"),
    ("share-native", "مشاركة…"),
    ("share-email", "البريد الإلكتروني"),
    ("share-sms", "رسالة نصية"),
    ("share-message", "انضم إليّ عبر رابط الإحالة الخاص بي:"),
    ("share-subject", "دعوة لك"),
    ("empty-hint", "شارك رابطك مع أصدقائك، وسيظهر هنا من ينضم منهم."),
    ("qr-label", "رمز QR لرابط الإحالة الخاص بك"),
    ("anonymous", "شخص ما"),
];

/// Hebrew.
#[rustfmt::skip]
pub const HE: Catalogue = &[
    ("title", "לוח ההפניות שלך"),
    ("link-label", "קישור ההפניה שלך"),
    ("copy", "העתקה"),
    ("copied", "הועתק"),
    ("copy-fallback", "יש ללחוץ Ctrl+C (או ⌘C ב-Mac) כדי להעתיק את הקישור המסומן"),
    ("stat-reach", "חשיפה"),
    ("stat-referrals", "הפניות"),
    ("stat-qualified", "הפניות מאושרות"),
    ("referrals-heading", "ההפניות שלך"),
    ("status-qualified", "מאושרת"),
    ("status-pending", "ממתינה"),
    ("show-more", "הצגת עוד"),
    ("empty", "עדיין אין הפניות"),
    ("error-title", "לא הצלחנו לטעון את לוח ההפניות שלך."),
    ("retry", "ניסיון חוזר"),
    ("stale", "הרענון נכשל; מוצגים נתונים קודמים."),
    ("loading", "לוח ההפניות נטען"),
    ("share-group", "שיתוף הקישור"),
    ("share-native", "שיתוף…"),
    ("share-email", "אימייל"),
    ("share-sms", "הודעת SMS"),
    ("share-message", "הצטרפו אליי דרך קישור ההפניה שלי:"),
    ("share-subject", "הזמנה בשבילך"),
    ("empty-hint", "שתפו את הקישור עם חברים, ומי שיצטרף יופיע כאן."),
    ("qr-label", "קוד QR של קישור ההפניה שלך"),
    ("anonymous", "מישהו"),
];
